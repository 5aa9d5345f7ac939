// List and watch filters: labelSelector and fieldSelector query parameters.
#pragma once

#include <memory>
#include <optional>

#include "api.h"

namespace switchyard::devcluster {

// Parses the request's selectors; `filter` stays null when there are none.
// Field selectors support metadata.name and metadata.namespace (what every
// kind supports on real servers), and on core/v1 Events the fields
// kube-apiserver selects them by (involvedObject.*, reason, type, source,
// reportingComponent); anything else is a 400.
[[nodiscard]] std::optional<ApiError> make_object_filter(const ApiRequest& request, const ResourceType& type,
                                                         std::shared_ptr<const ObjectFilter>& filter);
// `inner` narrowed to objects called `name`.
[[nodiscard]] std::shared_ptr<const ObjectFilter> name_filter(const std::string& name,
                                                              std::shared_ptr<const ObjectFilter> inner);

}  // namespace switchyard::devcluster
