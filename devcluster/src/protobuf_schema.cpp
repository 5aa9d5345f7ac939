#include "protobuf_schema.h"

namespace switchyard::devcluster::protobuf {
namespace {

using T = ValueType;

constexpr Field text(std::uint32_t number, std::string_view json) { return {number, json, T::kString}; }
constexpr Field texts(std::uint32_t number, std::string_view json) { return {number, json, T::kString, true}; }
constexpr Field text_pointer(std::uint32_t number, std::string_view json) {
  return {number, json, T::kString, false, true};
}
constexpr Field number(std::uint32_t number, std::string_view json) { return {number, json, T::kInt}; }
constexpr Field number_pointer(std::uint32_t number, std::string_view json) {
  return {number, json, T::kInt, false, true};
}
constexpr Field flag(std::uint32_t number, std::string_view json) { return {number, json, T::kBool}; }
constexpr Field flag_pointer(std::uint32_t number, std::string_view json) {
  return {number, json, T::kBool, false, true};
}
constexpr Field nested(std::uint32_t number, std::string_view json, const MessageType& type) {
  return {number, json, T::kMessage, false, false, &type};
}
constexpr Field nested_list(std::uint32_t number, std::string_view json, const MessageType& type) {
  return {number, json, T::kMessage, true, false, &type};
}
constexpr Field map_of(std::uint32_t number, std::string_view json, ValueType map_type) {
  return {number, json, map_type};
}
constexpr Field server_set(std::uint32_t number) { return {number, "", T::kServerSet}; }

// --- k8s.io/apimachinery meta/v1 -------------------------------------------
constexpr Field kOwnerReferenceFields[] = {text(1, "kind"), text(3, "name"), text(4, "uid"), text(5, "apiVersion"),
                                           flag_pointer(6, "controller"), flag_pointer(7, "blockOwnerDeletion")};
constexpr MessageType kOwnerReference{"OwnerReference", kOwnerReferenceFields};

constexpr Field kObjectMetaFields[] = {
    text(1, "name"), text(2, "generateName"), text(3, "namespace"), server_set(4) /* selfLink */,
    text(5, "uid"), text(6, "resourceVersion"), number(7, "generation"), server_set(8) /* creationTimestamp */,
    server_set(9) /* deletionTimestamp */, number_pointer(10, "deletionGracePeriodSeconds"),
    map_of(11, "labels", T::kStringMap), map_of(12, "annotations", T::kStringMap),
    nested_list(13, "ownerReferences", kOwnerReference), texts(14, "finalizers"), server_set(17) /* managedFields */};
constexpr MessageType kObjectMeta{"ObjectMeta", kObjectMetaFields};

constexpr Field kLabelSelectorRequirementFields[] = {text(1, "key"), text(2, "operator"), texts(3, "values")};
constexpr MessageType kLabelSelectorRequirement{"LabelSelectorRequirement", kLabelSelectorRequirementFields};

constexpr Field kLabelSelectorFields[] = {map_of(1, "matchLabels", T::kStringMap),
                                          nested_list(2, "matchExpressions", kLabelSelectorRequirement)};
constexpr MessageType kLabelSelector{"LabelSelector", kLabelSelectorFields};

// --- core/v1 ----------------------------------------------------------------
constexpr Field kNamespaceSpecFields[] = {texts(1, "finalizers")};
constexpr MessageType kNamespaceSpec{"NamespaceSpec", kNamespaceSpecFields};
constexpr Field kNamespaceFields[] = {nested(1, "metadata", kObjectMeta), nested(2, "spec", kNamespaceSpec),
                                      server_set(3)};
constexpr MessageType kNamespace{"Namespace", kNamespaceFields};

constexpr Field kConfigMapFields[] = {nested(1, "metadata", kObjectMeta), map_of(2, "data", T::kStringMap),
                                      map_of(3, "binaryData", T::kBytesMap), flag_pointer(4, "immutable")};
constexpr MessageType kConfigMap{"ConfigMap", kConfigMapFields};

constexpr Field kSecretFields[] = {nested(1, "metadata", kObjectMeta), map_of(2, "data", T::kBytesMap),
                                   text(3, "type"), map_of(4, "stringData", T::kStringMap),
                                   flag_pointer(5, "immutable")};
constexpr MessageType kSecret{"Secret", kSecretFields};

constexpr Field kLocalObjectReferenceFields[] = {text(1, "name")};
constexpr MessageType kLocalObjectReference{"LocalObjectReference", kLocalObjectReferenceFields};

constexpr Field kObjectReferenceFields[] = {text(1, "kind"),       text(2, "namespace"),
                                            text(3, "name"),       text(4, "uid"),
                                            text(5, "apiVersion"), text(6, "resourceVersion"),
                                            text(7, "fieldPath")};
constexpr MessageType kObjectReference{"ObjectReference", kObjectReferenceFields};

constexpr Field kServiceAccountFields[] = {nested(1, "metadata", kObjectMeta),
                                           nested_list(2, "secrets", kObjectReference),
                                           nested_list(3, "imagePullSecrets", kLocalObjectReference),
                                           flag_pointer(4, "automountServiceAccountToken")};
constexpr MessageType kServiceAccount{"ServiceAccount", kServiceAccountFields};

constexpr Field kServicePortFields[] = {text(1, "name"), text(2, "protocol"), number(3, "port"),
                                        {4, "targetPort", T::kIntOrString}, number(5, "nodePort"),
                                        text_pointer(6, "appProtocol")};
constexpr MessageType kServicePort{"ServicePort", kServicePortFields};

constexpr Field kClientIPConfigFields[] = {number_pointer(1, "timeoutSeconds")};
constexpr MessageType kClientIPConfig{"ClientIPConfig", kClientIPConfigFields};
constexpr Field kSessionAffinityConfigFields[] = {nested(1, "clientIP", kClientIPConfig)};
constexpr MessageType kSessionAffinityConfig{"SessionAffinityConfig", kSessionAffinityConfigFields};

constexpr Field kServiceSpecFields[] = {nested_list(1, "ports", kServicePort),
                                        map_of(2, "selector", T::kStringMap),
                                        text(3, "clusterIP"),
                                        text(4, "type"),
                                        texts(5, "externalIPs"),
                                        text(7, "sessionAffinity"),
                                        text(8, "loadBalancerIP"),
                                        texts(9, "loadBalancerSourceRanges"),
                                        text(10, "externalName"),
                                        text(11, "externalTrafficPolicy"),
                                        number(12, "healthCheckNodePort"),
                                        flag(13, "publishNotReadyAddresses"),
                                        nested(14, "sessionAffinityConfig", kSessionAffinityConfig),
                                        text_pointer(17, "ipFamilyPolicy"),
                                        texts(18, "clusterIPs"),
                                        texts(19, "ipFamilies"),
                                        flag_pointer(20, "allocateLoadBalancerNodePorts"),
                                        text_pointer(21, "loadBalancerClass"),
                                        text_pointer(22, "internalTrafficPolicy"),
                                        text_pointer(23, "trafficDistribution")};
constexpr MessageType kServiceSpec{"ServiceSpec", kServiceSpecFields};
constexpr Field kServiceFields[] = {nested(1, "metadata", kObjectMeta), nested(2, "spec", kServiceSpec),
                                    server_set(3)};
constexpr MessageType kService{"Service", kServiceFields};

constexpr Field kContainerPortFields[] = {text(1, "name"), number(2, "hostPort"), number(3, "containerPort"),
                                          text(4, "protocol"), text(5, "hostIP")};
constexpr MessageType kContainerPort{"ContainerPort", kContainerPortFields};

// ConfigMapKeySelector and SecretKeySelector embed LocalObjectReference.
constexpr Field kKeySelectorFields[] = {nested(1, "", kLocalObjectReference), text(2, "key"),
                                        flag_pointer(3, "optional")};
constexpr MessageType kKeySelector{"KeySelector", kKeySelectorFields};
constexpr Field kObjectFieldSelectorFields[] = {text(1, "apiVersion"), text(2, "fieldPath")};
constexpr MessageType kObjectFieldSelector{"ObjectFieldSelector", kObjectFieldSelectorFields};
constexpr Field kEnvVarSourceFields[] = {nested(1, "fieldRef", kObjectFieldSelector),
                                         nested(3, "configMapKeyRef", kKeySelector),
                                         nested(4, "secretKeyRef", kKeySelector)};
constexpr MessageType kEnvVarSource{"EnvVarSource", kEnvVarSourceFields};
constexpr Field kEnvVarFields[] = {text(1, "name"), text(2, "value"), nested(3, "valueFrom", kEnvVarSource)};
constexpr MessageType kEnvVar{"EnvVar", kEnvVarFields};

constexpr Field kResourceRequirementsFields[] = {map_of(1, "limits", T::kQuantityMap),
                                                 map_of(2, "requests", T::kQuantityMap)};
constexpr MessageType kResourceRequirements{"ResourceRequirements", kResourceRequirementsFields};

constexpr Field kVolumeMountFields[] = {text(1, "name"),     flag(2, "readOnly"),
                                        text(3, "mountPath"), text(4, "subPath"),
                                        text_pointer(5, "mountPropagation"), text(6, "subPathExpr")};
constexpr MessageType kVolumeMount{"VolumeMount", kVolumeMountFields};

constexpr Field kContainerFields[] = {text(1, "name"),
                                      text(2, "image"),
                                      texts(3, "command"),
                                      texts(4, "args"),
                                      text(5, "workingDir"),
                                      nested_list(6, "ports", kContainerPort),
                                      nested_list(7, "env", kEnvVar),
                                      nested(8, "resources", kResourceRequirements),
                                      nested_list(9, "volumeMounts", kVolumeMount),
                                      text(13, "terminationMessagePath"),
                                      text(14, "imagePullPolicy"),
                                      flag(16, "stdin"),
                                      flag(17, "stdinOnce"),
                                      flag(18, "tty"),
                                      text(20, "terminationMessagePolicy")};
constexpr MessageType kContainer{"Container", kContainerFields};

constexpr Field kPodSpecFields[] = {nested_list(2, "containers", kContainer),
                                    text(3, "restartPolicy"),
                                    number_pointer(4, "terminationGracePeriodSeconds"),
                                    number_pointer(5, "activeDeadlineSeconds"),
                                    text(6, "dnsPolicy"),
                                    map_of(7, "nodeSelector", T::kStringMap),
                                    text(8, "serviceAccountName"),
                                    text(9, "serviceAccount"),
                                    text(10, "nodeName"),
                                    flag(11, "hostNetwork"),
                                    flag(12, "hostPID"),
                                    flag(13, "hostIPC"),
                                    nested_list(15, "imagePullSecrets", kLocalObjectReference),
                                    text(16, "hostname"),
                                    text(17, "subdomain"),
                                    text(19, "schedulerName"),
                                    nested_list(20, "initContainers", kContainer),
                                    flag_pointer(21, "automountServiceAccountToken"),
                                    text(24, "priorityClassName"),
                                    number_pointer(25, "priority"),
                                    flag_pointer(30, "enableServiceLinks")};
constexpr MessageType kPodSpec{"PodSpec", kPodSpecFields};
constexpr Field kPodTemplateSpecFields[] = {nested(1, "metadata", kObjectMeta), nested(2, "spec", kPodSpec)};
constexpr MessageType kPodTemplateSpec{"PodTemplateSpec", kPodTemplateSpecFields};

// --- apps/v1 ----------------------------------------------------------------
constexpr Field kRollingUpdateFields[] = {{1, "maxUnavailable", T::kIntOrString}, {2, "maxSurge", T::kIntOrString}};
constexpr MessageType kRollingUpdate{"RollingUpdateDeployment", kRollingUpdateFields};
constexpr Field kDeploymentStrategyFields[] = {text(1, "type"), nested(2, "rollingUpdate", kRollingUpdate)};
constexpr MessageType kDeploymentStrategy{"DeploymentStrategy", kDeploymentStrategyFields};
constexpr Field kDeploymentSpecFields[] = {number_pointer(1, "replicas"),
                                           nested(2, "selector", kLabelSelector),
                                           nested(3, "template", kPodTemplateSpec),
                                           nested(4, "strategy", kDeploymentStrategy),
                                           number(5, "minReadySeconds"),
                                           number_pointer(6, "revisionHistoryLimit"),
                                           flag(7, "paused"),
                                           number_pointer(9, "progressDeadlineSeconds")};
constexpr MessageType kDeploymentSpec{"DeploymentSpec", kDeploymentSpecFields};
constexpr Field kDeploymentFields[] = {nested(1, "metadata", kObjectMeta), nested(2, "spec", kDeploymentSpec),
                                       server_set(3)};
constexpr MessageType kDeployment{"Deployment", kDeploymentFields};

// --- rbac.authorization.k8s.io/v1 -------------------------------------------
constexpr Field kPolicyRuleFields[] = {texts(1, "verbs"), texts(2, "apiGroups"), texts(3, "resources"),
                                       texts(4, "resourceNames"), texts(5, "nonResourceURLs")};
constexpr MessageType kPolicyRule{"PolicyRule", kPolicyRuleFields};
constexpr Field kAggregationRuleFields[] = {nested_list(1, "clusterRoleSelectors", kLabelSelector)};
constexpr MessageType kAggregationRule{"AggregationRule", kAggregationRuleFields};
constexpr Field kRoleFields[] = {nested(1, "metadata", kObjectMeta), nested_list(2, "rules", kPolicyRule)};
constexpr MessageType kRole{"Role", kRoleFields};
constexpr Field kClusterRoleFields[] = {nested(1, "metadata", kObjectMeta), nested_list(2, "rules", kPolicyRule),
                                        nested(3, "aggregationRule", kAggregationRule)};
constexpr MessageType kClusterRole{"ClusterRole", kClusterRoleFields};
constexpr Field kSubjectFields[] = {text(1, "kind"), text(2, "apiGroup"), text(3, "name"), text(4, "namespace")};
constexpr MessageType kSubject{"Subject", kSubjectFields};
constexpr Field kRoleRefFields[] = {text(1, "apiGroup"), text(2, "kind"), text(3, "name")};
constexpr MessageType kRoleRef{"RoleRef", kRoleRefFields};
constexpr Field kRoleBindingFields[] = {nested(1, "metadata", kObjectMeta), nested_list(2, "subjects", kSubject),
                                        nested(3, "roleRef", kRoleRef)};
constexpr MessageType kRoleBinding{"RoleBinding", kRoleBindingFields};

constexpr TopLevelKind kKinds[] = {
    {"v1", "Namespace", &kNamespace},
    {"v1", "ConfigMap", &kConfigMap},
    {"v1", "Secret", &kSecret},
    {"v1", "ServiceAccount", &kServiceAccount},
    {"v1", "Service", &kService},
    {"apps/v1", "Deployment", &kDeployment},
    {"rbac.authorization.k8s.io/v1", "Role", &kRole},
    {"rbac.authorization.k8s.io/v1", "ClusterRole", &kClusterRole},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", &kRoleBinding},
    {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &kRoleBinding},
};

}  // namespace

std::span<const TopLevelKind> top_level_kinds() { return kKinds; }

}  // namespace switchyard::devcluster::protobuf
