// Reading small local files (credentials, CA bundles) with errors that name the path.
#pragma once

#include <optional>
#include <string>

namespace switchyard::kube::files {

// The whole file, or nothing with `error` set to "<path>: <strerror>".
std::optional<std::string> read(const std::string& path, std::string& error);
bool exists(const std::string& path);
// "dir/name" unless name is absolute or dir is empty.
std::string resolve(const std::string& dir, const std::string& name);
std::string parent_dir(const std::string& path);
// Trailing whitespace and newlines removed (token files end with '\n').
std::string trim(std::string text);

}  // namespace switchyard::kube::files
