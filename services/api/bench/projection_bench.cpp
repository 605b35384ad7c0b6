// Benchmark: the projector's events per second (fetch from JetStream,
// decode, one transaction per batch writing vm_events and the folded vms
// upserts, acks) beside a plain batched INSERT of the same vm_events rows
// (multi-row INSERT ... VALUES, one statement per batch, no JetStream, no
// decoding, no vms rows) into a copy of the table, in the same run against
// the same devstack PostgreSQL and nats-server. The ratio is what the
// projection's guarantees (idempotence, the folded vms row, acks) cost.
//
//   aether-bench-api-projection [events] [batch]   (default 20000 500)
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "aether/bus/connection.hpp"
#include "aether/bus/jetstream.hpp"
#include "aether/pg/pool.hpp"
#include "aether/v1/vm.pb.h"
#include "bench_stack.hpp"
#include "event_projection.hpp"
#include "ids.hpp"
#include "projector.hpp"

using namespace aether;
using Clock = std::chrono::steady_clock;

namespace {

int die(const std::string& what) {
  std::fprintf(stderr, "aether-bench-api-projection: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 500;
  if (events < 4 || batch < 1)
    return die("usage: aether-bench-api-projection [events>=4] [batch>=1]");

  auto stack = api::bench::BenchStack::start("bench", /*send_asap=*/false);
  if (!stack) return die(stack.error());
  bus::Connection* bus = &*stack->bus;
  pg::Pool pool(
      {.url = stack->postgres.url(), .size = 2, .statement_timeout = std::chrono::seconds(60)});
  if (auto t = pool.query("CREATE TABLE vm_events_plain (LIKE vm_events INCLUDING ALL)"); !t) {
    return die(t.error().message);
  }

  // The same events for both sides: events/4 VMs, four transitions each.
  static constexpr v1::VmState kStates[] = {v1::VM_STATE_SCHEDULED, v1::VM_STATE_BOOTING,
                                            v1::VM_STATE_READY, v1::VM_STATE_STOPPED};
  struct Row {
    std::int64_t seq;
    std::string vm_id, state, at;
  };
  std::vector<Row> rows;
  std::vector<std::string> wire;  // each event as published, for the phase breakdown
  std::string vm_id;
  std::fprintf(stderr, "publishing %d events...\n", events);
  for (int i = 0; i < events; ++i) {
    if (i % 4 == 0) vm_id = api::new_uuid_v7();
    v1::VmEvent e;
    e.set_vm_id(vm_id);
    e.set_tenant("bench");
    e.set_state(kStates[i % 4]);
    e.set_worker_id("w1");
    e.set_node("node-a");
    *e.mutable_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    wire.push_back(e.SerializeAsString());
    auto ack = bus->js_publish("aether.evt.vm." + vm_id + ".x", e);
    if (!ack) return die("publish: " + ack.error().message);
    rows.push_back({static_cast<std::int64_t>(ack->sequence), vm_id,
                    v1::VmState_Name(e.state()).substr(9),
                    google::protobuf::util::TimeUtil::ToString(e.at())});
  }

  http::Registry registry;
  auto projector = api::Projector::create(*bus, pool, registry, {.batch_size = batch});
  if (!projector) return die(projector.error());
  const auto p0 = Clock::now();
  while ((*projector)->stats().projected < static_cast<std::uint64_t>(events)) {
    auto n = (*projector)->step(std::chrono::milliseconds(1000));
    if (!n) return die(n.error());
  }
  const double projector_s = std::chrono::duration<double>(Clock::now() - p0).count();

  const auto b0 = Clock::now();
  for (int start = 0; start < events; start += batch) {
    std::string sql =
        "INSERT INTO vm_events_plain (stream_seq, vm_id, tenant_id, state, worker_id, node, at) "
        "VALUES ";
    pg::Params params;
    for (int i = start; i < std::min(events, start + batch); ++i) {
      const int p = static_cast<int>(params.size());
      if (i > start) sql += ",";
      sql += "($" + std::to_string(p + 1) + "::bigint,$" + std::to_string(p + 2) + "::uuid,$" +
             std::to_string(p + 3) + ",$" + std::to_string(p + 4) + ",$" + std::to_string(p + 5) +
             ",$" + std::to_string(p + 6) + ",$" + std::to_string(p + 7) + "::timestamptz)";
      const Row& r = rows[static_cast<std::size_t>(i)];
      params.insert(params.end(),
                    {std::to_string(r.seq), r.vm_id, "bench", r.state, "w1", "node-a", r.at});
    }
    if (auto q = pool.query(sql.c_str(), params); !q) return die(q.error().message);
  }
  const double plain_s = std::chrono::duration<double>(Clock::now() - b0).count();

  auto count = pool.query("SELECT (SELECT count(*) FROM vm_events), (SELECT count(*) FROM vms)");
  if (!count) return die(count.error().message);

  // Where the projector's time goes, phase by phase on the same events:
  // decode + building the batch (in-process), then the batch's PostgreSQL
  // transaction alone (into emptied tables); the rest of the projector's
  // time is JetStream (fetch, acks, the lag's consumer info).
  const auto d0 = Clock::now();
  std::vector<api::ProjectionBatch> batches;
  for (int start = 0; start < events; start += batch) {
    api::ProjectionBatch b;
    for (int i = start; i < std::min(events, start + batch); ++i) {
      v1::VmEvent e;
      if (!e.ParseFromString(wire[static_cast<std::size_t>(i)])) return die("parse");
      if (auto why = b.add_vm(rows[static_cast<std::size_t>(i)].seq, e)) return die(*why);
    }
    batches.push_back(std::move(b));
  }
  const double build_s = std::chrono::duration<double>(Clock::now() - d0).count();
  if (auto t = pool.query("TRUNCATE vm_events, vms"); !t) return die(t.error().message);
  const auto w0 = Clock::now();
  for (const auto& b : batches) {
    auto w = pool.transaction([&](pg::Connection& c) { return b.write(c); });
    if (!w) return die("write: " + w.error().message);
  }
  const double write_s = std::chrono::duration<double>(Clock::now() - w0).count();
  const double projector_rate = events / projector_s;
  const double plain_rate = events / plain_s;
  std::printf("events: %d in batches of %d (%lld vm_events rows, %lld vms rows projected)\n",
              events, batch, static_cast<long long>(count->int64(0, 0)),
              static_cast<long long>(count->int64(0, 1)));
  std::printf(
      "projector (JetStream fetch + decode + vm_events + vms upsert + acks): %.0f events/s "
      "(%.2f s, %llu transactions)\n",
      projector_rate, projector_s, static_cast<unsigned long long>((*projector)->stats().batches));
  std::printf("plain batched INSERT of the same vm_events rows: %.0f rows/s (%.2f s)\n", plain_rate,
              plain_s);
  std::printf("ratio projector / plain INSERT: %.2f\n", projector_rate / plain_rate);
  std::printf(
      "where the projector's %.2f s go: decode + build %.2f s (%.0f%%), PostgreSQL "
      "transactions %.2f s (%.0f%%), JetStream fetch/ack/lag and the rest %.2f s (%.0f%%)\n",
      projector_s, build_s, 100 * build_s / projector_s, write_s, 100 * write_s / projector_s,
      projector_s - build_s - write_s, 100 * (projector_s - build_s - write_s) / projector_s);
  // Machine-readable line for `make bench` (tools/bench-report/README.md).
  std::printf(
      "BENCH figure=api.projection_rate value=%.0f unit=events/s baseline=%.0f "
      "baseline_of=plain_batched_insert better=higher\n",
      projector_rate, plain_rate);
  return count->int64(0, 0) == events ? 0 : die("vm_events row count differs from events");
}
