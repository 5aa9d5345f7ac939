// A bearer token kept in a file (a Secret mount, a projected service-account
// token, `kubectl create token > file`).
#pragma once

#include <string>

namespace switchyard::agent {

// The file's text without surrounding whitespace (files usually end in a
// newline). False with `error` set ("/path: cannot be read", "/path: is
// empty", "/path: holds more than one line") otherwise.
[[nodiscard]] bool read_token_file(const std::string& path, std::string& token, std::string& error);

}  // namespace switchyard::agent
