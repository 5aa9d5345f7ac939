// A --data-dir state file the store could not stand on (edited by hand,
// from another version, corrupted) is refused at start with a message that
// names the file and the object, instead of serving resourceVersions that go
// backwards, wrap, or objects without metadata.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "switchyard/devcluster/server.h"

using switchyard::devcluster::Server;
using switchyard::devcluster::ServerOptions;

namespace {

class DataDir {
 public:
  DataDir() : path_(std::filesystem::temp_directory_path() / ("devcluster-snapshot-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~DataDir() { std::filesystem::remove_all(path_); }
  void write(const std::string& text) const { std::ofstream(file()) << text; }
  [[nodiscard]] std::string file() const { return (path_ / "devcluster-store.json").string(); }
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::string config_map(const std::string& name, const std::string& version) {
  return R"({"key":"/configmaps","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","namespace":"default","resourceVersion":")" + version + R"("}}})";
}

// Starts a server on `dir`; returns the start error ("" when it started).
std::string start_error(const DataDir& dir) {
  ServerOptions options;
  options.data_dir = dir.path();
  Server server(options);
  std::string error;
  bool started = server.start(error);
  return started ? "" : error;
}

}  // namespace

TEST_CASE("a state file the store cannot stand on is refused naming the file and the object", "[devcluster][snapshot]") {
  DataDir dir;
  struct Case {
    const char* what;
    std::string file;
    std::string message;
  };
  for (const Case& c : {
           Case{"an object newer than the file", R"({"resourceVersion":5,"objects":[)" + config_map("a", "4") + "," +
                                                     config_map("b", "9") + "]}",
                "objects[1] (/configmaps default/b): metadata.resourceVersion 9 is newer than the file's "
                "resourceVersion 5 (the store's version would go backwards)"},
           Case{"a version clients would wrap", R"({"resourceVersion":18446744073709551615,"objects":[]})",
                "resourceVersion 18446744073709551615 is past 9223372036854775807, where clients' resourceVersions wrap"},
           Case{"an object without metadata",
                R"({"resourceVersion":5,"objects":[{"key":"/configmaps","object":{"kind":"ConfigMap"}}]})",
                "objects[0]: metadata (object) is required"},
           Case{"an object without a name",
                R"({"resourceVersion":5,"objects":[{"key":"/configmaps","object":{"metadata":{"resourceVersion":"1"}}}]})",
                "objects[0]: metadata.name (non-empty string) is required"},
           Case{"an object without a resourceVersion",
                R"({"resourceVersion":5,"objects":[{"key":"/configmaps","object":{"metadata":{"name":"a"}}}]})",
                "objects[0] (/configmaps a): metadata.resourceVersion (string) is required"},
           Case{"the same object twice", R"({"resourceVersion":5,"objects":[)" + config_map("a", "2") + "," +
                                             config_map("a", "3") + "]}",
                "objects[1] (/configmaps default/a): appears twice"},
       }) {
    CAPTURE(c.what);
    dir.write(c.file);
    std::string error = start_error(dir);
    CAPTURE(error);
    CHECK(error.rfind(dir.file() + ": ", 0) == 0);
    CHECK(error.find(c.message) != std::string::npos);
  }
  SECTION("a sound file still starts") {
    dir.write(R"({"resourceVersion":5,"objects":[)" + config_map("a", "4") + "," + config_map("b", "5") + "]}");
    CHECK(start_error(dir).empty());
  }
}
