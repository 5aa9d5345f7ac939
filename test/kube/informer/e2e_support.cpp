#include "e2e_support.h"

#include <charconv>

#include "informer_store.h"

namespace switchyard::kube::test {

TestLoop::TestLoop() {
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &tick_);
}

TestLoop::~TestLoop() {
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

bool TestLoop::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  // A repeating tick so UV_RUN_ONCE returns regularly to re-check `done`.
  uv_timer_start(&tick_, [](uv_timer_t*) {}, 10, 10);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop_, UV_RUN_ONCE);
  uv_timer_stop(&tick_);
  return done();
}

void TestLoop::run_for(std::chrono::milliseconds duration) {
  (void)run_until([] { return false; }, duration);
}

// A pooled connection to a server that restarted fails on first use; the
// request never reached the server, so trying again is safe.
template <class Call>
auto retry_transport(const Call& call) {
  auto result = call();
  for (int attempt = 0; attempt < 20 && !result.ok() && result.error().transport(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    result = call();
  }
  return result;
}

std::uint64_t rv_number(std::string_view rv) {
  std::uint64_t value = 0;
  std::from_chars(rv.data(), rv.data() + rv.size(), value);
  return value;
}

void RecordingHandler::check_thread(const char* what) {
  if (std::this_thread::get_id() != loop_thread_) violations.push_back(std::string(what) + " off the loop thread");
}

void RecordingHandler::on_add(const ObjectPtr& object) {
  check_thread("add");
  ++deliveries;
  const std::string key = InformerStore::key_of(*object);
  const std::string rv(object->resource_version());
  if (current.contains(key)) violations.push_back("add of present " + key + "@" + rv);
  current[key] = rv;
  history[key].push_back("add@" + rv);
}

void RecordingHandler::on_update(const ObjectPtr& old, const ObjectPtr& now) {
  check_thread("update");
  ++deliveries;
  const std::string key = InformerStore::key_of(*now);
  const std::string rv(now->resource_version());
  auto found = current.find(key);
  if (found == current.end()) {
    violations.push_back("update of absent " + key + "@" + rv);
  } else {
    if (found->second != old->resource_version()) {
      violations.push_back("update of " + key + " from " + std::string(old->resource_version()) + " but told " +
                           found->second);
    }
    if (rv_number(rv) <= rv_number(found->second)) {
      violations.push_back("update of " + key + " not forward: " + found->second + " -> " + rv);
    }
  }
  current[key] = rv;
  history[key].push_back("update@" + rv);
}

void RecordingHandler::on_delete(const ObjectPtr& last) {
  check_thread("delete");
  ++deliveries;
  const std::string key = InformerStore::key_of(*last);
  if (!current.erase(key)) violations.push_back("delete of absent " + key);
  history[key].push_back("delete");
}

bool ConfigMapWriter::create(const std::string& name, const std::string& app_label) {
  const std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
                           R"(","labels":{"app":")" + app_label + R"("}},"data":{"v":"0"}})";
  auto created = retry_transport([&] { return client_.create(kConfigMaps, ns_, body); });
  if (!created.ok()) return false;
  record(name, "add@", std::string(created.value()->resource_version()));
  return true;
}

bool ConfigMapWriter::update(const std::string& name) {
  int n;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    n = ++counter_;
  }
  auto patched = retry_transport([&] {
    return client_.patch(kConfigMaps, ns_, name, PatchType::Merge, R"({"data":{"v":")" + std::to_string(n) + R"("}})");
  });
  if (!patched.ok()) return false;
  record(name, "update@", std::string(patched.value()->resource_version()));
  return true;
}

bool ConfigMapWriter::remove(const std::string& name) {
  auto removed = retry_transport([&] { return client_.remove(kConfigMaps, ns_, name); });
  if (!removed.ok()) return false;
  record(name, "delete", "");
  return true;
}

void ConfigMapWriter::record(const std::string& name, std::string entry, const std::string& rv) {
  std::lock_guard<std::mutex> lock(mutex_);
  history_[InformerStore::key_of(ns_, name)].push_back(entry + rv);
  if (!rv.empty()) versions_.insert(rv);
}

std::map<std::string, std::string> ConfigMapWriter::server_state(const std::string& ns,
                                                                 const std::string& label_selector) {
  ListOptions options;
  options.label_selector = label_selector;
  auto listed = retry_transport([&] { return client_.list_all(kConfigMaps, ns, options); });
  std::map<std::string, std::string> state;
  if (!listed.ok()) return {{"<list failed>", listed.error().to_string()}};
  for (const auto& item : listed.value().items) {
    state[InformerStore::key_of(*item)] = std::string(item->resource_version());
  }
  return state;
}

History ConfigMapWriter::history() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return history_;
}

History ConfigMapWriter::history_where(const std::function<bool(const std::string&)>& keep) const {
  History kept;
  for (auto& [key, entries] : history()) {
    if (keep(key)) kept[key] = entries;
  }
  return kept;
}

std::set<std::string> ConfigMapWriter::written_versions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return versions_;
}

std::map<std::string, std::string> store_state(const Informer& informer) {
  std::map<std::string, std::string> state;
  for (const auto& object : informer.list()) {
    state[InformerStore::key_of(*object)] = std::string(object->resource_version());
  }
  return state;
}

}  // namespace switchyard::kube::test
