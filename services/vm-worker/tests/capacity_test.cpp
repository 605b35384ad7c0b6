#include <catch2/catch.hpp>

#include "capacity.hpp"

using namespace aether::worker;

TEST_CASE("capacity: reservations fit until one resource runs out") {
  CapacityLedger ledger({4, 1024, 3});
  CHECK(ledger.try_reserve({2, 256, 1}));
  CHECK(ledger.try_reserve({2, 256, 1}));
  CHECK_FALSE(ledger.try_reserve({1, 64, 1}));  // vCPUs exhausted
  CHECK(ledger.used() == Resources{4, 512, 2});
  CHECK(ledger.free() == Resources{0, 512, 1});
  ledger.release({2, 256, 1});
  CHECK(ledger.try_reserve({1, 512, 1}));
  CHECK(ledger.try_reserve({1, 64, 1}));
  CHECK_FALSE(ledger.try_reserve({0, 0, 1}));  // VM count exhausted
  CHECK(ledger.used() == Resources{4, 832, 3});
}

TEST_CASE("capacity: memory and VM count are limits of their own") {
  CapacityLedger ledger({8, 1000, 2});
  CHECK_FALSE(ledger.try_reserve({1, 1001, 1}));
  CHECK(ledger.try_reserve({1, 1000, 1}));
  CHECK_FALSE(ledger.try_reserve({1, 1, 1}));
  CHECK(ledger.used() == Resources{1, 1000, 1});
}

TEST_CASE("capacity: a failed reservation takes nothing, release never goes below zero") {
  CapacityLedger ledger({2, 512, 4});
  CHECK_FALSE(ledger.try_reserve({3, 1, 1}));
  CHECK(ledger.used() == Resources{});
  ledger.release({1, 100, 1});
  CHECK(ledger.used() == Resources{});
  CHECK(ledger.free() == ledger.total());
}

TEST_CASE("capacity: could_ever_fit compares with the whole node") {
  CapacityLedger ledger({2, 512, 4});
  CHECK(ledger.could_ever_fit({2, 512, 1}));
  CHECK_FALSE(ledger.could_ever_fit({2, 513, 1}));
  CHECK(describe({1, 256, 1}) == "1 vCPU, 256 MiB, 1 VM");
}
