// libFuzzer-friendly entry points over the patch and schema code: they take
// arbitrary bytes, must never crash, leak or hang, and always return 0.
// A fuzz target wires them in as
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
//     return switchyard::devcluster::objects::fuzz_apply_patch(d, n); }
#pragma once

#include <cstddef>
#include <cstdint>

namespace switchyard::devcluster::objects {

// Input layout: byte 0 picks the patch type (merge, JSON, strategic merge,
// server-side apply, by value modulo 4); the rest is "<target JSON>\n<patch>".
// A target that does not parse is replaced by a fixed FailoverService-like
// object so the fuzzer still reaches the patch code.
int fuzz_apply_patch(const std::uint8_t* data, std::size_t size);

}  // namespace switchyard::devcluster::objects
