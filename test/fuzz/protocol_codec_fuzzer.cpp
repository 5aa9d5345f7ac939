// libFuzzer target: the agent <-> hub message codecs (protocol/src), both
// directions. Every input is decoded as a report and as an assignment.
//
// Checked (a violation traps, which libFuzzer reports):
//   - a decoder either gives a value or at least one error, never both;
//   - round trip: what decodes, encodes to JSON that decodes to the same
//     value, and encoding that value again gives the same bytes (the encoder
//     is a function of the value, so the hub's digests and the agent's diffs
//     are stable).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "switchyard/protocol/codec.h"

namespace {

using namespace switchyard::protocol;

template <class T, class Decode, class Encode>
void round_trip(std::string_view input, Decode decode, Encode encode) {
  const Decoded<T> decoded = decode(input);
  if (decoded.ok() != decoded.errors.empty()) std::abort();
  if (!decoded.ok()) return;
  const std::string encoded = encode(*decoded.value);
  const Decoded<T> again = decode(encoded);
  if (!again.ok()) std::abort();
  if (!(*again.value == *decoded.value)) std::abort();
  if (encode(*again.value) != encoded) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  round_trip<Report>(input, decode_report, encode_report);
  round_trip<Assignment>(input, decode_assignment, encode_assignment);
  return 0;
}
