#include "token_file.h"

#include <fstream>
#include <sstream>

namespace switchyard::agent {

bool read_token_file(const std::string& path, std::string& token, std::string& error) {
  std::ifstream file(path);
  if (!file) {
    error = path + ": cannot be read";
    return false;
  }
  std::stringstream text;
  text << file.rdbuf();
  token = text.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  const auto last = token.find_last_not_of(" \t\r\n");
  token = first == std::string::npos ? std::string() : token.substr(first, last - first + 1);
  if (token.empty()) {
    error = path + ": is empty";
    return false;
  }
  // A header value cannot hold a line break: it would end the header.
  if (token.find_first_of("\r\n") != std::string::npos) {
    error = path + ": holds more than one line";
    return false;
  }
  return true;
}

}  // namespace switchyard::agent
