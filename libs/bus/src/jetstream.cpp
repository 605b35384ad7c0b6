#include "aether/bus/jetstream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "connection_state.hpp"
#include "status.hpp"

namespace aether::bus {
namespace {

bool missing(natsStatus s, jsErrCode code) {
  return s == NATS_NOT_FOUND || code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr;
}

bool same_subjects(const jsStreamConfig& have, const std::vector<std::string>& want) {
  std::set<std::string> a(want.begin(), want.end());
  std::set<std::string> b;
  for (int i = 0; i < have.SubjectsLen; ++i) b.insert(have.Subjects[i]);
  return a == b;
}

Result<void> validate(const StreamConfig& c) {
  if (c.name.empty()) return fail(Errc::kInvalidArgument, "stream name must not be empty");
  if (c.subjects.empty()) {
    return fail(Errc::kInvalidArgument, "stream " + c.name + ": subjects must not be empty");
  }
  if (c.replicas < 1 || c.replicas > 5) {
    return fail(Errc::kInvalidArgument, "stream " + c.name + ": replicas must be 1..5");
  }
  return {};
}

}  // namespace

std::string_view to_string(Provisioned p) {
  switch (p) {
    case Provisioned::kCreated:
      return "created";
    case Provisioned::kUpdated:
      return "updated";
    case Provisioned::kUnchanged:
      return "unchanged";
  }
  return "?";
}

bool ProvisionReport::changed() const {
  return std::any_of(items.begin(), items.end(),
                     [](const auto& i) { return i.second != Provisioned::kUnchanged; });
}

Result<Provisioned> ensure_stream(Connection& connection, const StreamConfig& c,
                                  IfExists if_exists) {
  if (auto v = validate(c); !v) return std::unexpected(v.error());
  jsStreamInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetStreamInfo(&raw_info, connection.jetstream(), c.name.c_str(), nullptr, &code);
  StreamInfoPtr info(raw_info);
  if (s != NATS_OK && !missing(s, code)) {
    return detail::fail_status(s, "reading stream " + c.name, code);
  }
  const bool exists = s == NATS_OK;
  const auto retention =
      c.retention == Retention::kWorkQueue ? js_WorkQueuePolicy : js_LimitsPolicy;
  const auto storage = c.file_storage ? js_FileStorage : js_MemoryStorage;
  if (exists && if_exists == IfExists::kLeave) return Provisioned::kUnchanged;
  if (exists) {
    const jsStreamConfig& have = *info->Config;
    const bool same =
        same_subjects(have, c.subjects) && have.Retention == retention && have.Storage == storage &&
        have.Replicas == c.replicas && have.MaxAge == c.max_age.count() &&
        (c.duplicate_window.count() == 0 || have.Duplicates == c.duplicate_window.count());
    if (same) return Provisioned::kUnchanged;
  }

  std::vector<const char*> subjects;
  for (const auto& subject : c.subjects) subjects.push_back(subject.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = c.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Retention = retention;
  cfg.Storage = storage;
  cfg.Replicas = c.replicas;
  cfg.MaxAge = c.max_age.count();
  cfg.Duplicates = c.duplicate_window.count();
  jsStreamInfo* raw_out = nullptr;
  code = static_cast<jsErrCode>(0);
  s = exists ? js_UpdateStream(&raw_out, connection.jetstream(), &cfg, nullptr, &code)
             : js_AddStream(&raw_out, connection.jetstream(), &cfg, nullptr, &code);
  StreamInfoPtr out(raw_out);
  if (s != NATS_OK) {
    return detail::fail_status(s, (exists ? "updating stream " : "creating stream ") + c.name,
                               code);
  }
  spdlog::info("stream {} {}", c.name, exists ? "updated" : "created");
  return exists ? Provisioned::kUpdated : Provisioned::kCreated;
}

Result<Provisioned> ensure_consumer(Connection& connection, const ConsumerConfig& c) {
  if (c.stream.empty() || c.durable.empty()) {
    return fail(Errc::kInvalidArgument, "consumer: stream and durable must not be empty");
  }
  if (!c.backoff.empty() && (c.max_deliver != -1 && c.max_deliver <= int(c.backoff.size()))) {
    return fail(Errc::kInvalidArgument,
                "consumer " + c.durable + ": max_deliver must exceed the number of backoff steps");
  }
  if (c.ack_wait.count() <= 0) {
    return fail(Errc::kInvalidArgument, "consumer " + c.durable + ": ack_wait must be > 0");
  }
  jsConsumerInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&raw_info, connection.jetstream(), c.stream.c_str(),
                                    c.durable.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw_info);
  if (s != NATS_OK && !missing(s, code)) {
    return detail::fail_status(s, "reading consumer " + c.stream + "/" + c.durable, code);
  }
  const bool exists = s == NATS_OK;
  std::vector<int64_t> backoff;
  for (auto b : c.backoff) backoff.push_back(b.count());
  if (exists) {
    const jsConsumerConfig& have = *info->Config;
    std::vector<int64_t> have_backoff(have.BackOff, have.BackOff + have.BackOffLen);
    const bool same =
        std::string(have.FilterSubject != nullptr ? have.FilterSubject : "") == c.filter_subject &&
        have.AckPolicy == js_AckExplicit && have.MaxDeliver == c.max_deliver &&
        have_backoff == backoff && have.MaxAckPending == c.max_ack_pending &&
        // With a backoff list the server takes the first step as ack wait.
        (!backoff.empty() || have.AckWait == c.ack_wait.count()) &&
        (c.replicas == 0 || have.Replicas == c.replicas);
    if (same) return Provisioned::kUnchanged;
  }
  jsConsumerConfig cfg;
  jsConsumerConfig_Init(&cfg);
  cfg.Durable = c.durable.c_str();
  cfg.AckPolicy = js_AckExplicit;
  cfg.DeliverPolicy = js_DeliverAll;
  cfg.AckWait = c.ack_wait.count();
  cfg.MaxDeliver = c.max_deliver;
  cfg.BackOff = backoff.empty() ? nullptr : backoff.data();
  cfg.BackOffLen = static_cast<int>(backoff.size());
  cfg.MaxAckPending = c.max_ack_pending;
  cfg.Replicas = c.replicas;
  if (!c.filter_subject.empty()) cfg.FilterSubject = c.filter_subject.c_str();
  jsConsumerInfo* raw_out = nullptr;
  code = static_cast<jsErrCode>(0);
  s = exists ? js_UpdateConsumer(&raw_out, connection.jetstream(), c.stream.c_str(), &cfg, nullptr,
                                 &code)
             : js_AddConsumer(&raw_out, connection.jetstream(), c.stream.c_str(), &cfg, nullptr,
                              &code);
  ConsumerInfoPtr out(raw_out);
  if (s != NATS_OK) {
    return detail::fail_status(
        s, (exists ? "updating consumer " : "creating consumer ") + c.stream + "/" + c.durable,
        code);
  }
  spdlog::info("consumer {}/{} {}", c.stream, c.durable, exists ? "updated" : "created");
  return exists ? Provisioned::kUpdated : Provisioned::kCreated;
}

Result<Provisioned> ensure_kv(Connection& connection, const KvConfig& c) {
  if (c.bucket.empty()) return fail(Errc::kInvalidArgument, "KV bucket name must not be empty");
  if (c.history < 1 || c.history > 64) {
    return fail(Errc::kInvalidArgument, "KV bucket " + c.bucket + ": history must be 1..64");
  }
  const std::string stream = "KV_" + c.bucket;
  jsStreamInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s =
      js_GetStreamInfo(&raw_info, connection.jetstream(), stream.c_str(), nullptr, &code);
  StreamInfoPtr info(raw_info);
  if (s != NATS_OK && !missing(s, code)) {
    return detail::fail_status(s, "reading KV bucket " + c.bucket, code);
  }
  if (s != NATS_OK) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = c.bucket.c_str();
    cfg.TTL = c.ttl.count();
    cfg.History = static_cast<uint8_t>(c.history);
    cfg.Replicas = c.replicas;
    cfg.StorageType = c.file_storage ? js_FileStorage : js_MemoryStorage;
    kvStore* raw_kv = nullptr;
    s = js_CreateKeyValue(&raw_kv, connection.jetstream(), &cfg);
    KvStorePtr kv(raw_kv);
    if (s != NATS_OK) return detail::fail_status(s, "creating KV bucket " + c.bucket);
    spdlog::info("KV bucket {} created", c.bucket);
    return Provisioned::kCreated;
  }
  jsStreamConfig& have = *info->Config;
  if (have.MaxAge == c.ttl.count() && have.Replicas == c.replicas &&
      have.MaxMsgsPerSubject == c.history) {
    return Provisioned::kUnchanged;
  }
  // cnats 3.4 has no KV update; the bucket is a stream, so update that.
  have.MaxAge = c.ttl.count();
  have.Replicas = c.replicas;
  have.MaxMsgsPerSubject = c.history;
  jsStreamInfo* raw_out = nullptr;
  code = static_cast<jsErrCode>(0);
  s = js_UpdateStream(&raw_out, connection.jetstream(), &have, nullptr, &code);
  StreamInfoPtr out(raw_out);
  if (s != NATS_OK) return detail::fail_status(s, "updating KV bucket " + c.bucket, code);
  spdlog::info("KV bucket {} updated", c.bucket);
  return Provisioned::kUpdated;
}

StreamConfig cmds_stream_config(const ProvisionConfig& p) {
  return {.name = std::string(kCmdsStream),
          .subjects = {"aether.cmd.>"},
          .retention = Retention::kWorkQueue,
          .file_storage = true,
          .replicas = p.replicas,
          .max_age = std::chrono::nanoseconds{0},
          .duplicate_window = p.cmds_duplicate_window};
}

StreamConfig events_stream_config(const ProvisionConfig& p) {
  return {.name = std::string(kEventsStream),
          .subjects = {"aether.evt.>"},
          .retention = Retention::kLimits,
          .file_storage = true,
          .replicas = p.replicas,
          .max_age = p.events_max_age,
          .duplicate_window = std::chrono::minutes(2)};
}

ConsumerConfig vm_create_consumer_config(const ProvisionConfig& p, std::string_view class_name) {
  ConsumerConfig c;
  c.stream = kCmdsStream;
  c.durable =
      class_name.empty() ? std::string(kVmCreateConsumer) : vm_create_class_consumer(class_name);
  c.filter_subject =
      class_name.empty() ? std::string(kVmCreateSubject) : vm_create_class_subject(class_name);
  c.ack_wait = p.vm_create_ack_wait;
  c.max_deliver = p.vm_create_max_deliver;
  c.backoff = p.vm_create_backoff;
  return c;
}

Result<ConsumerBacklog> consumer_backlog(Connection& connection, std::string_view stream,
                                         std::string_view durable) {
  jsConsumerInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const std::string s_name(stream), d_name(durable);
  natsStatus s = js_GetConsumerInfo(&raw_info, connection.jetstream(), s_name.c_str(),
                                    d_name.c_str(), nullptr, &code);
  ConsumerInfoPtr info(raw_info);
  if (s != NATS_OK)
    return detail::fail_status(s, "reading consumer " + s_name + "/" + d_name, code);
  return ConsumerBacklog{.pending = info->NumPending,
                         .ack_pending = static_cast<std::uint64_t>(info->NumAckPending),
                         .redelivered = static_cast<std::uint64_t>(info->NumRedelivered),
                         .waiting_pulls = static_cast<int>(info->NumWaiting)};
}

Result<ProvisionReport> provision(Connection& connection, const ProvisionConfig& p) {
  ProvisionReport report;
  auto note = [&](std::string what, const Result<Provisioned>& r) -> Result<void> {
    if (!r) return std::unexpected(r.error());
    report.items.emplace_back(std::move(what), *r);
    return {};
  };
  const StreamConfig cmds = cmds_stream_config(p);
  if (auto r = note("stream " + cmds.name, ensure_stream(connection, cmds)); !r) {
    return std::unexpected(r.error());
  }
  const StreamConfig events = events_stream_config(p);
  if (auto r = note("stream " + events.name, ensure_stream(connection, events)); !r) {
    return std::unexpected(r.error());
  }
  if (p.vm_classes.empty()) return fail(Errc::kInvalidArgument, "vm_classes must not be empty");
  const ConsumerConfig vm_create = vm_create_consumer_config(p);
  if (auto r = note("consumer " + vm_create.durable, ensure_consumer(connection, vm_create)); !r) {
    return std::unexpected(r.error());
  }
  for (const auto& c : p.vm_classes) {
    const ConsumerConfig per_class = vm_create_consumer_config(p, c.name);
    if (auto r = note("consumer " + per_class.durable, ensure_consumer(connection, per_class));
        !r) {
      return std::unexpected(r.error());
    }
  }
  KvConfig workers{std::string(kWorkersBucket), p.workers_ttl, 1, p.replicas, true};
  if (auto r = note("kv " + workers.bucket, ensure_kv(connection, workers)); !r) {
    return std::unexpected(r.error());
  }
  KvConfig leases{std::string(kLeasesBucket), std::chrono::nanoseconds{0}, 1, p.replicas, true};
  if (auto r = note("kv " + leases.bucket, ensure_kv(connection, leases)); !r) {
    return std::unexpected(r.error());
  }
  return report;
}

}  // namespace aether::bus
