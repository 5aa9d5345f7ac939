// Turning response bodies into typed values: lists into pages of objects,
// watch lines into events. Pure functions, exposed for the replay tests.
#pragma once

#include <string>
#include <string_view>

#include "switchyard/kube/client.h"

namespace switchyard::kube {

// A *List body. Items gain kind/apiVersion (from the list's kind minus
// "List" and its apiVersion) when the server left them out, as it does.
Result<ListPage> decode_list(std::string_view body, std::string_view what);

// One line of a watch stream: {"type":..., "object":...}.
Result<WatchEvent> decode_watch_line(std::string_view line);

// Splits a byte stream into lines across arbitrary chunk boundaries.
class LineSplitter {
 public:
  // Appends data; calls on_line for each complete line (without '\n',
  // empty lines skipped). Stops early and returns false when on_line does.
  template <class OnLine>
  bool feed(std::string_view data, OnLine&& on_line) {
    buffer_.append(data);
    std::size_t start = 0;
    for (auto newline = buffer_.find('\n', start); newline != std::string::npos;
         newline = buffer_.find('\n', start)) {
      std::string_view line(buffer_.data() + start, newline - start);
      start = newline + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty() && !on_line(line)) {
        buffer_.erase(0, start);
        return false;
      }
    }
    buffer_.erase(0, start);
    return true;
  }
  // What is left without a newline (a server may end the stream without one).
  const std::string& remainder() const { return buffer_; }

 private:
  std::string buffer_;
};

}  // namespace switchyard::kube
