// Loads the project's CRDs (crds/*.yaml) and compiles one version's schema,
// so schema tests run against the real definitions.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "switchyard/devcluster/objects/json_document.h"
#include "switchyard/devcluster/objects/structural_schema.h"
#include "switchyard/devcluster/objects/yaml_json.h"

namespace objects_test {

inline rapidjson::Document load_crd(const std::string& file) {
  std::ifstream in(std::string(SWITCHYARD_SOURCE_DIR) + "/crds/" + file);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document crd;
  auto error = switchyard::devcluster::objects::yaml_to_json(text.str(), crd);
  INFO(file << ": " << error.value_or(""));
  REQUIRE_FALSE(error.has_value());
  return crd;
}

// The compiled openAPIV3Schema of version `version` of crds/<file>.
inline switchyard::devcluster::objects::CompiledSchema crd_schema(const std::string& file,
                                                                   const std::string& version) {
  rapidjson::Document crd = load_crd(file);
  for (const auto& entry : crd["spec"]["versions"].GetArray()) {
    if (entry["name"].GetString() == version) {
      auto compiled = switchyard::devcluster::objects::compile_schema(entry["schema"]["openAPIV3Schema"]);
      INFO(compiled.error);
      REQUIRE(compiled.ok());
      return compiled;
    }
  }
  FAIL("no version " << version << " in " << file);
  return {};
}

}  // namespace objects_test
