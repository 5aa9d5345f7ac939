#include "switchyard/kube/informer.h"

#include <thread>

#include "informer_list_watch.h"
#include "switchyard/kube/loop_mailbox.h"
#include "informer_stop_signal.h"
#include "informer_store.h"

namespace switchyard::kube {

InformerHandler::~InformerHandler() = default;

// The worker thread's sink posts to the loop; everything else here is
// touched on the loop thread only.
struct Informer::Impl final : ListWatchSink {
  Impl(Client& client, uv_loop_t* loop, InformerOptions options, InformerHandler& handler)
      : client(client), loop(loop), options(std::move(options)), handler(handler) {}

  void listed(std::vector<ObjectPtr> items, std::string resource_version) override {
    mailbox->post([this, items = std::move(items), rv = std::move(resource_version)]() mutable {
      deliver(store.replace(items, std::move(rv)));
      if (!synced) {
        synced = true;
        handler.on_synced();
      }
    });
  }

  void changed(WatchChange what, ObjectPtr object) override {
    mailbox->post([this, what, object = std::move(object)] {
      if (auto change = store.apply(what, object)) deliver({std::move(*change)});
    });
  }

  void bookmarked(std::string resource_version) override {
    mailbox->post([this, rv = std::move(resource_version)]() mutable { store.bookmark(std::move(rv)); });
  }

  void deliver(const std::vector<Change>& changes) {
    for (const Change& change : changes) {
      if (stopped) return;  // a handler called stop()
      switch (change.type) {
        case ChangeType::Added:
          handler.on_add(change.now);
          break;
        case ChangeType::Updated:
          handler.on_update(change.old, change.now);
          break;
        case ChangeType::Deleted:
          handler.on_delete(change.old);
          break;
      }
    }
  }

  Client& client;
  uv_loop_t* loop;
  InformerOptions options;
  InformerHandler& handler;
  InformerStats stats;

  InformerStore store;
  bool synced = false;
  bool started = false;
  bool stopped = false;
  std::unique_ptr<LoopMailbox> mailbox;
  StopSignal stop_signal;
  std::thread worker;
};

Informer::Informer(Client& client, uv_loop_t* loop, InformerOptions options, InformerHandler& handler)
    : impl_(std::make_unique<Impl>(client, loop, std::move(options), handler)) {}

Informer::~Informer() { stop(); }

void Informer::start() {
  Impl& impl = *impl_;
  if (impl.started) return;
  impl.started = true;
  impl.mailbox = std::make_unique<LoopMailbox>(impl.loop);
  impl.worker = std::thread([&impl] {
    ListWatch list_watch(impl.client, impl.options, impl, impl.stats);
    list_watch.run(impl.stop_signal);
  });
}

void Informer::stop() {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) return;
  impl.stopped = true;
  impl.stop_signal.raise();
  if (impl.worker.joinable()) impl.worker.join();
  impl.mailbox->close();
}

bool Informer::synced() const { return impl_->synced; }

ObjectPtr Informer::find(std::string_view ns, std::string_view name) const {
  return impl_->store.find(ns, name);
}

std::vector<ObjectPtr> Informer::list() const { return impl_->store.list(); }

std::string Informer::resource_version() const { return impl_->store.resource_version(); }

const InformerStats& Informer::stats() const { return impl_->stats; }

}  // namespace switchyard::kube
