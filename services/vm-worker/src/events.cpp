#include "events.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <random>

#include "aether/bus/handles.hpp"
#include "aether/bus/jetstream.hpp"
#include "vm_state.hpp"

namespace aether::worker {
namespace {

std::string random_hex(std::size_t n) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = kHex[rng() % 16];
  return out;
}

std::string worker_state_token(v1::WorkerState s) {
  switch (s) {
    case v1::WORKER_STATE_STARTED:
      return "started";
    case v1::WORKER_STATE_DRAINING:
      return "draining";
    case v1::WORKER_STATE_STOPPED:
      return "stopped";
    default:
      return "unspecified";
  }
}

}  // namespace

std::string vm_event_subject(const std::string& vm_id, v1::VmState state) {
  return "aether.evt.vm." + vm_id + "." + std::string(state_token(state));
}

EventPublisher::EventPublisher(bus::Connection connection)
    : connection_(std::move(connection)),
      thread_([this](std::stop_token stop) { loop(std::move(stop)); }) {}

EventPublisher::~EventPublisher() {
  (void)flush(std::chrono::seconds(5));
  thread_.request_stop();
  changed_.notify_all();
}

void EventPublisher::publish(v1::VmEvent event) {
  Item item;
  item.subject = vm_event_subject(event.vm_id(), event.state());
  item.msg_id =
      "vm." + event.vm_id() + "." + std::string(state_token(event.state())) + "." + random_hex(16);
  item.tenant = event.tenant();
  item.event = std::move(event);
  enqueue(std::move(item));
}

void EventPublisher::publish(v1::WorkerEvent event) {
  Item item;
  item.subject = "aether.evt.worker." + event.worker_id() + "." + worker_state_token(event.state());
  item.msg_id = "worker." + event.worker_id() + "." + random_hex(16);
  item.event = std::move(event);
  enqueue(std::move(item));
}

void EventPublisher::enqueue(Item item) {
  {
    std::lock_guard lock(mutex_);
    item.number = ++enqueued_;
    queue_.push_back(std::move(item));
  }
  changed_.notify_all();
}

bool EventPublisher::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto target = enqueued_;
  return changed_.wait_for(lock, timeout, [&] { return done_ >= target; });
}

std::uint64_t EventPublisher::published() const {
  std::lock_guard lock(mutex_);
  return done_;
}

void EventPublisher::loop(std::stop_token stop) {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop.stop_requested()) {
    Item item;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (queue_.empty()) return;
      item = queue_.front();
    }
    auto result = std::visit(
        [&](const auto& ev) {
          return connection_.js_publish(
              item.subject, ev,
              {.tenant = item.tenant, .msg_id = item.msg_id, .timeout = std::chrono::seconds(5)});
        },
        item.event);
    if (!result) {
      spdlog::warn("vm-worker: publishing {} failed ({}); retrying in {} ms", item.subject,
                   result.error().message, backoff.count());
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, stop, backoff, [] { return false; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    {
      std::lock_guard lock(mutex_);
      queue_.pop_front();
      done_ = item.number;
    }
    changed_.notify_all();
  }
}

namespace {

// The last message on `subject` (wildcards allowed) in AETHER_EVENTS, decoded.
// nullopt when there is none; `unreadable` set when there is one that does
// not decode (logged).
bus::Result<std::optional<LastEvent>> read_last(bus::Connection& connection,
                                                const std::string& subject, bool& unreadable) {
  const std::string stream(bus::kEventsStream);
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_GetLastMsg(&raw, connection.jetstream(), stream.c_str(), subject.c_str(), nullptr, &jerr);
  bus::MsgPtr msg(raw);
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) return std::nullopt;
  if (s != NATS_OK) {
    return bus::fail(bus::Errc::kJetStream,
                     "reading " + subject + " from " + stream + ": " + natsStatus_GetText(s));
  }
  LastEvent last;
  last.sequence = natsMsg_GetSequence(msg.get());
  const char* ct = nullptr;
  bool json = natsMsgHeader_Get(msg.get(), "Content-Type", &ct) == NATS_OK && ct != nullptr &&
              std::string_view(ct).starts_with("application/json");
  std::string_view data(natsMsg_GetData(msg.get()),
                        static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
  if (auto d = bus::decode(data, json ? bus::ContentType::kJson : bus::ContentType::kProtobuf,
                           last.event);
      !d) {
    spdlog::warn("vm-worker: unreadable event on {}: {}", subject, d.error().message);
    unreadable = true;
    return std::nullopt;
  }
  return last;
}

}  // namespace

bus::Result<std::optional<LastEvent>> latest_event(bus::Connection& connection,
                                                   const std::string& vm_id) {
  // One read on the hot path (every create): the newest message on any of
  // the VM's state subjects.
  bool unreadable = false;
  auto newest = read_last(connection, "aether.evt.vm." + vm_id + ".*", unreadable);
  if (!newest || !unreadable) return newest;
  // The newest does not decode: the newest readable one, state by state.
  static constexpr v1::VmState kStates[] = {
      v1::VM_STATE_PENDING,  v1::VM_STATE_SCHEDULED, v1::VM_STATE_BOOTING, v1::VM_STATE_READY,
      v1::VM_STATE_STOPPING, v1::VM_STATE_STOPPED,   v1::VM_STATE_DELETED, v1::VM_STATE_FAILED,
      v1::VM_STATE_PAUSING,  v1::VM_STATE_PAUSED,    v1::VM_STATE_RESUMING};
  std::optional<LastEvent> best;
  for (auto state : kStates) {
    auto last = read_last(connection, vm_event_subject(vm_id, state), unreadable);
    if (!last) return last;
    if (*last && (!best || (*last)->sequence > best->sequence)) best = std::move(*last);
  }
  return best;
}

}  // namespace aether::worker
