// Prometheus text format, checked against exact expected text.
#include <catch2/catch.hpp>
#include <cmath>
#include <thread>

#include "aether/http/metrics.hpp"

using namespace aether::http;

TEST_CASE("a counter renders HELP, TYPE and its value") {
  Registry reg;
  auto& c = reg.counter("aether_requests_total", "Requests handled.\nSecond line \\ here.");
  c.inc();
  c.inc(2);
  c.inc(-5);  // ignored: counters only go up
  CHECK(c.value() == 3);
  CHECK(reg.serialize() ==
        "# HELP aether_requests_total Requests handled.\\nSecond line \\\\ here.\n"
        "# TYPE aether_requests_total counter\n"
        "aether_requests_total 3\n");
}

TEST_CASE("a labelled gauge renders one sorted line per label set, values escaped") {
  Registry reg;
  auto& vms = reg.gauge_family("aether_vms", "VMs by state.", {"state", "worker"});
  vms.labels({"ready", "w1"}).set(5.5);
  auto& booting = vms.labels({"booting", "w\"1\\\n"});
  booting.inc(3);
  booting.dec();
  CHECK(&vms.labels({"ready", "w1"}) == &vms.labels({"ready", "w1"}));  // resolved once, reused
  CHECK(reg.serialize() ==
        "# HELP aether_vms VMs by state.\n"
        "# TYPE aether_vms gauge\n"
        "aether_vms{state=\"booting\",worker=\"w\\\"1\\\\\\n\"} 2\n"
        "aether_vms{state=\"ready\",worker=\"w1\"} 5.5\n");
}

TEST_CASE("a histogram renders cumulative buckets, +Inf, sum and count") {
  Registry reg;
  auto& boot =
      reg.histogram_family("aether_vm_boot_seconds", "VM boot time.", {"runtime"}, {0.25, 1, 8});
  auto& qemu = boot.labels({"qemu"});
  for (double v : {0.125, 0.5, 0.5, 1.0, 4.0, 64.0}) qemu.observe(v);
  CHECK(reg.serialize() ==
        "# HELP aether_vm_boot_seconds VM boot time.\n"
        "# TYPE aether_vm_boot_seconds histogram\n"
        "aether_vm_boot_seconds_bucket{runtime=\"qemu\",le=\"0.25\"} 1\n"
        "aether_vm_boot_seconds_bucket{runtime=\"qemu\",le=\"1\"} 4\n"
        "aether_vm_boot_seconds_bucket{runtime=\"qemu\",le=\"8\"} 5\n"
        "aether_vm_boot_seconds_bucket{runtime=\"qemu\",le=\"+Inf\"} 6\n"
        "aether_vm_boot_seconds_sum{runtime=\"qemu\"} 70.125\n"
        "aether_vm_boot_seconds_count{runtime=\"qemu\"} 6\n");
}

TEST_CASE("an unlabelled histogram has only le on its buckets") {
  Registry reg;
  reg.histogram("aether_x_seconds", "x", {1}).observe(2);
  CHECK(reg.serialize() ==
        "# HELP aether_x_seconds x\n"
        "# TYPE aether_x_seconds histogram\n"
        "aether_x_seconds_bucket{le=\"1\"} 0\n"
        "aether_x_seconds_bucket{le=\"+Inf\"} 1\n"
        "aether_x_seconds_sum 2\n"
        "aether_x_seconds_count 1\n");
}

TEST_CASE("families render sorted by name and registering again returns the same family") {
  Registry reg;
  reg.gauge("b_gauge", "b").set(1);
  reg.counter("a_total", "a").inc();
  CHECK(&reg.counter("a_total", "a") == &reg.counter("a_total", "a"));
  CHECK(reg.serialize() ==
        "# HELP a_total a\n# TYPE a_total counter\na_total 1\n"
        "# HELP b_gauge b\n# TYPE b_gauge gauge\nb_gauge 1\n");
}

TEST_CASE("programming errors are refused with a message naming the metric") {
  Registry reg;
  (void)reg.counter("aether_x_total", "x");
  CHECK_THROWS_WITH(reg.gauge("aether_x_total", "x"),
                    "metric aether_x_total is already registered with a different type, labels "
                    "or buckets");
  CHECK_THROWS_WITH(reg.counter("1bad", "x"),
                    "metric name \"1bad\" must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  CHECK_THROWS_AS(reg.gauge_family("aether_y", "y", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_AS(reg.histogram_family("aether_h", "h", {"le"}), std::invalid_argument);
  CHECK_THROWS_AS(reg.histogram("aether_h2", "h", {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(reg.histogram("aether_h3", "h", {}), std::invalid_argument);
  auto& fam = reg.counter_family("aether_z_total", "z", {"a", "b"});
  CHECK_THROWS_WITH(fam.labels({"only-one"}), "metric aether_z_total takes 2 label values, got 1");
}

TEST_CASE("values format the way Prometheus reads them") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(42) == "42");
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(-2.5) == "-2.5");
  CHECK(format_value(1e20) == "1e+20");
  CHECK(format_value(INFINITY) == "+Inf");
  CHECK(format_value(-INFINITY) == "-Inf");
  CHECK(format_value(NAN) == "NaN");
  CHECK(exponential_buckets(1, 2, 4) == std::vector<double>{1, 2, 4, 8});
}

TEST_CASE("concurrent updates are all counted") {
  Registry reg;
  auto& c = reg.counter_family("aether_c_total", "c", {"t"}).labels({"x"});
  auto& h = reg.histogram("aether_h_seconds", "h", {0.5});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50'000; ++i) {
        c.inc();
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.value() == 200'000);
  auto snap = h.snapshot();
  CHECK(snap.count == 200'000);
  CHECK(snap.cumulative.front() == 100'000);
  CHECK(snap.sum == 125'000);
}
