#include "aether/bus/kv.hpp"

#include <spdlog/spdlog.h>

#include "connection_state.hpp"
#include "status.hpp"

namespace aether::bus {

struct KvBucket::State {
  std::shared_ptr<Connection::State> conn;
  KvStorePtr kv;
  std::string bucket;
};

namespace {

KvEntry to_entry(kvEntry* e) {
  KvEntry out;
  out.key = kvEntry_Key(e);
  const void* v = kvEntry_Value(e);
  out.value.assign(v != nullptr ? static_cast<const char*>(v) : "",
                   static_cast<std::size_t>(kvEntry_ValueLen(e)));
  out.revision = kvEntry_Revision(e);
  switch (kvEntry_Operation(e)) {
    case kvOp_Delete:
      out.op = KvOp::kDelete;
      break;
    case kvOp_Purge:
      out.op = KvOp::kPurge;
      break;
    default:
      out.op = KvOp::kPut;
      break;
  }
  return out;
}

Result<void> valid_key(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.' ||
      key.find_first_of(" *>\t") != std::string::npos) {
    return fail(Errc::kInvalidArgument,
                "KV key '" + key + "' must be non-empty, without spaces, '*', '>' or edge dots");
  }
  return {};
}

}  // namespace

Result<std::optional<KvEntry>> KvWatcher::next(std::chrono::milliseconds timeout) {
  if (!watcher_) return fail(Errc::kNotFound, "KV watcher was stopped");
  kvEntry* raw = nullptr;
  natsStatus s = kvWatcher_Next(&raw, watcher_.get(), std::max<int64_t>(1, timeout.count()));
  KvEntryPtr entry(raw);
  if (s != NATS_OK) {
    if (s == NATS_ILLEGAL_STATE) return fail(Errc::kNotFound, "KV watcher was stopped");
    return detail::fail_status(s, "KV watch");
  }
  if (!entry) return std::optional<KvEntry>{};
  return std::optional<KvEntry>{to_entry(entry.get())};
}

void KvWatcher::stop() {
  if (watcher_) kvWatcher_Stop(watcher_.get());
}

KvWatch::KvWatch(KvWatcher watcher, std::function<void(const KvEntry&)> callback)
    : watcher_(std::make_shared<KvWatcher>(std::move(watcher))) {
  thread_ = std::jthread([w = watcher_, cb = std::move(callback)](std::stop_token stop) {
    while (!stop.stop_requested()) {
      auto next = w->next(std::chrono::milliseconds(250));
      if (!next) {
        if (next.error().code == Errc::kTimeout) continue;
        if (!stop.stop_requested() && next.error().code != Errc::kNotFound) {
          spdlog::warn("KV watch ended: {}", next.error().message);
        }
        return;
      }
      if (!next->has_value()) continue;  // end of initial values
      try {
        cb(**next);
      } catch (const std::exception& e) {
        spdlog::error("KV watch callback threw: {}", e.what());
      }
    }
  });
}

KvWatch::~KvWatch() { stop(); }

void KvWatch::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  watcher_->stop();
  if (thread_.get_id() != std::this_thread::get_id())
    thread_.join();
  else
    thread_.detach();
}

Result<KvBucket> KvBucket::open(Connection& connection, const std::string& bucket) {
  if (bucket.empty()) return fail(Errc::kInvalidArgument, "KV bucket name must not be empty");
  kvStore* raw = nullptr;
  natsStatus s = js_KeyValue(&raw, connection.jetstream(), bucket.c_str());
  if (s != NATS_OK) return detail::fail_status(s, "opening KV bucket " + bucket);
  auto st = std::make_shared<State>();
  st->conn = connection.state();
  st->kv.reset(raw);
  st->bucket = bucket;
  return KvBucket(std::move(st));
}

const std::string& KvBucket::bucket() const { return state_->bucket; }

Result<KvEntry> KvBucket::get(const std::string& key) {
  if (auto v = valid_key(key); !v) return std::unexpected(v.error());
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, state_->kv.get(), key.c_str());
  KvEntryPtr entry(raw);
  if (s == NATS_NOT_FOUND) {
    return fail(Errc::kNotFound, "KV " + state_->bucket + ": no key " + key);
  }
  if (s != NATS_OK) return detail::fail_status(s, "KV " + state_->bucket + " get " + key);
  return to_entry(entry.get());
}

Result<std::uint64_t> KvBucket::put(const std::string& key, std::string_view value) {
  if (auto v = valid_key(key); !v) return std::unexpected(v.error());
  std::uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, state_->kv.get(), key.c_str(), value.data(),
                             static_cast<int>(value.size()));
  if (s != NATS_OK) return detail::fail_status(s, "KV " + state_->bucket + " put " + key);
  return rev;
}

Result<std::uint64_t> KvBucket::create(const std::string& key, std::string_view value) {
  if (auto v = valid_key(key); !v) return std::unexpected(v.error());
  std::uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, state_->kv.get(), key.c_str(), value.data(),
                                static_cast<int>(value.size()));
  if (s != NATS_OK) {
    auto err = detail::status_error(s, "KV " + state_->bucket + " create " + key);
    if (err.code == Errc::kJetStream) err.code = Errc::kWrongLastRevision;  // key exists
    return std::unexpected(std::move(err));
  }
  return rev;
}

Result<std::uint64_t> KvBucket::update(const std::string& key, std::string_view value,
                                       std::uint64_t last_revision) {
  if (auto v = valid_key(key); !v) return std::unexpected(v.error());
  std::uint64_t rev = 0;
  natsStatus s = kvStore_Update(&rev, state_->kv.get(), key.c_str(), value.data(),
                                static_cast<int>(value.size()), last_revision);
  if (s != NATS_OK) {
    return detail::fail_status(s, "KV " + state_->bucket + " update " + key + " at revision " +
                                      std::to_string(last_revision));
  }
  return rev;
}

Result<void> KvBucket::erase(const std::string& key) {
  if (auto v = valid_key(key); !v) return std::unexpected(v.error());
  natsStatus s = kvStore_Delete(state_->kv.get(), key.c_str());
  if (s != NATS_OK) return detail::fail_status(s, "KV " + state_->bucket + " delete " + key);
  return {};
}

Result<KvWatcher> KvBucket::watch(const std::string& keys, KvWatchOptions options) {
  if (keys.empty()) return fail(Errc::kInvalidArgument, "KV watch: keys must not be empty");
  kvWatchOptions o;
  kvWatchOptions_Init(&o);
  o.IncludeHistory = options.include_history;
  o.IgnoreDeletes = options.ignore_deletes;
  kvWatcher* raw = nullptr;
  natsStatus s = kvStore_Watch(&raw, state_->kv.get(), keys.c_str(), &o);
  if (s != NATS_OK) return detail::fail_status(s, "KV " + state_->bucket + " watch " + keys);
  KvWatcher watcher(state_, KvWatcherPtr(raw));
  if (options.updates_only) {
    // Drain current values up to the end-of-initial marker.
    for (int i = 0; i < 1'000'000; ++i) {
      auto n = watcher.next(std::chrono::seconds(5));
      if (!n) return std::unexpected(n.error());
      if (!n->has_value()) break;
    }
  }
  return watcher;
}

Result<std::unique_ptr<KvWatch>> KvBucket::watch(const std::string& keys,
                                                 std::function<void(const KvEntry&)> callback,
                                                 KvWatchOptions options) {
  if (!callback) return fail(Errc::kInvalidArgument, "KV watch: callback is empty");
  auto watcher = watch(keys, options);
  if (!watcher) return std::unexpected(watcher.error());
  return std::make_unique<KvWatch>(std::move(*watcher), std::move(callback));
}

}  // namespace aether::bus
