#include "switchyard/kube/resource.h"

#include "url.h"

namespace switchyard::kube {

std::string Resource::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string Resource::group_version_path() const {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string Resource::path(std::string_view ns, std::string_view name,
                           std::string_view subresource) const {
  std::string out = group_version_path();
  if (namespaced && !ns.empty()) {
    out += "/namespaces/";
    out += url::encode_path_segment(ns);
  }
  out += "/";
  out += plural;
  if (!name.empty()) {
    out += "/";
    out += url::encode_path_segment(name);
    if (!subresource.empty()) {
      out += "/";
      out += subresource;
    }
  }
  return out;
}

Resource trafficsplits(std::string_view version) {
  return Resource{"split.smi-spec.io", std::string(version), "trafficsplits", "TrafficSplit", true};
}

}  // namespace switchyard::kube
