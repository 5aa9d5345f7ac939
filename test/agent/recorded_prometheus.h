// Answers recorded from the real Prometheus by data/record_prometheus.py.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>

namespace switchyard::agent::test {

struct Recorded {
  std::string query;
  int http_status = 0;
  std::string body;  // verbatim
};

inline Recorded recorded(const std::string& name) {
  const std::string path = std::string(AGENT_TEST_DATA_DIR) + "/prometheus/" + name + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document document;
  document.Parse(text.str().c_str());
  if (document.HasParseError() || !document.IsObject()) throw std::runtime_error(path + ": not JSON");
  return {document["query"].GetString(), document["http_status"].GetInt(), document["body"].GetString()};
}

}  // namespace switchyard::agent::test
