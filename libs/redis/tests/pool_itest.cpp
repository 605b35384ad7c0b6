// The pool and connections against a real redis-server: commands, the bound,
// AUTH and SELECT, timeouts, and Redis stopped and started again.
#include <catch2/catch.hpp>
#include <thread>

#include "aether/redis/script.hpp"
#include "itest_support.hpp"

using namespace aether::redis;
using namespace aether::redis::testing;
using namespace std::chrono_literals;

TEST_CASE("commands round-trip binary-safe values through the pool") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  REQUIRE(pool->ping().has_value());
  const std::string value("a\0b\r\nc", 6);
  REQUIRE(pool->command({"SET", "k", value}).has_value());
  auto got = pool->command({"GET", "k"});
  REQUIRE(got.has_value());
  CHECK(got->text() == value);
  auto missing = pool->command({"GET", "nope"});
  REQUIRE(missing.has_value());
  CHECK(missing->is_nil());
  auto wrong = pool->command({"INCR", "k"});
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == Errc::kServerError);
  CHECK(wrong.error().message.find("not an integer") != std::string::npos);
  // An error reply leaves the connection usable: it went back to the pool.
  CHECK(pool->stats().open == 1);
  CHECK(pool->stats().idle == 1);
  CHECK(pool->stats().dropped == 0);
}

TEST_CASE("the pool never opens more than its size and says when it is exhausted") {
  auto server = start_redis();
  auto options = pool_options(server, 2);
  options.acquire_timeout = 100ms;
  auto pool = make_pool(options);
  auto a = pool->acquire();
  auto b = pool->acquire();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  auto c = pool->acquire();
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == Errc::kPoolExhausted);
  CHECK(is_unavailable(c.error()));
  CHECK(pool->stats().exhausted == 1);

  // A waiter gets the connection another thread gives back.
  std::thread giver([lease = std::move(*a)]() mutable {
    std::this_thread::sleep_for(20ms);
    auto gone = std::move(lease);
  });
  auto d = pool->acquire();  // waits (up to 100 ms) for the lease given back after ~20 ms
  giver.join();
  REQUIRE(d.has_value());
  CHECK(pool->stats().open == 2);
  auto clients = (*d)->command({"CLIENT", "LIST"});
  REQUIRE(clients.has_value());
  // Two connections of ours, no more (CLIENT LIST has one line per client).
  std::size_t lines = 0;
  for (char ch : clients->text()) lines += ch == '\n';
  CHECK(lines == 2);
}

TEST_CASE("many threads share a small pool without exceeding it") {
  auto server = start_redis();
  auto options = pool_options(server, 3);
  options.acquire_timeout = 5s;
  auto pool = make_pool(options);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        if (!pool->command({"INCR", "counter"})) ++failures;
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto counter = pool->command({"GET", "counter"});
  REQUIRE(counter.has_value());
  CHECK(counter->text() == "800");
  CHECK(pool->stats().open <= 3);
  CHECK(pool->stats().connects <= 3);
}

TEST_CASE("AUTH and SELECT come from the URL, and a wrong password is a server error") {
  auto server = start_redis();
  auto plain = make_pool(pool_options(server));
  REQUIRE(plain->command({"CONFIG", "SET", "requirepass", "s3cret"}).has_value());

  auto options = pool_options(server);
  auto endpoint =
      parse_redis_url("redis://:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/3");
  REQUIRE(endpoint.has_value());
  options.endpoint = *endpoint;
  auto authed = make_pool(options);
  REQUIRE(authed->command({"SET", "only-in-3", "yes"}).has_value());
  auto db = authed->command({"CLIENT", "INFO"});
  REQUIRE(db.has_value());
  CHECK(db->text().find(" db=3 ") != std::string::npos);

  options.endpoint.db = 0;
  auto db0 = make_pool(options);
  auto missing = db0->command({"GET", "only-in-3"});
  REQUIRE(missing.has_value());
  CHECK(missing->is_nil());

  options.endpoint.password = "wrong";
  auto refused = make_pool(options)->ping();
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == Errc::kServerError);
  CHECK(refused.error().message.find("AUTH") != std::string::npos);
}

TEST_CASE("a command that outlasts the command timeout fails and its connection is dropped") {
  auto server = start_redis();
  auto options = pool_options(server, 2);
  options.command_timeout = 100ms;
  auto pool = make_pool(options);
  REQUIRE(pool->ping().has_value());
  auto blocked = pool->command({"BLPOP", "never-filled", "2"});
  REQUIRE_FALSE(blocked.has_value());
  CHECK(blocked.error().code == Errc::kUnavailable);
  CHECK(blocked.error().message.find("no reply within 100 ms") != std::string::npos);
  CHECK(pool->stats().dropped >= 1);
  CHECK(pool->stats().open == 0);
  // The next command gets a fresh connection, not the one with a reply in flight.
  auto after = pool->command({"ECHO", "fresh"});
  REQUIRE(after.has_value());
  CHECK(after->text() == "fresh");
}

TEST_CASE("nothing listening: kUnavailable, then fast failures within the backoff") {
  auto server = start_redis();
  auto options = pool_options(server);
  REQUIRE(server.stop().has_value());
  options.reconnect_backoff = 10s;
  auto pool = make_pool(options);
  auto first = pool->ping();
  REQUIRE_FALSE(first.has_value());
  CHECK(first.error().code == Errc::kUnavailable);
  CHECK(first.error().message.find("connect failed") != std::string::npos);
  CHECK(retry_after(first.error()) >= 1s);
  auto second = pool->ping();
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == Errc::kUnavailable);
  CHECK(second.error().message.find("next attempt in") != std::string::npos);
  CHECK(pool->stats().connect_failures == 1);  // the second did not even try
}

TEST_CASE("Redis stopped and started again: errors, then recovery by itself") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server, 4));
  {
    // Fill the pool with idle connections.
    auto a = pool->acquire();
    auto b = pool->acquire();
    auto c = pool->acquire();
    REQUIRE((a && b && c));
  }
  REQUIRE(pool->stats().idle == 3);
  REQUIRE(pool->command({"SET", "before", "1"}).has_value());

  REQUIRE(server.stop().has_value());
  auto down = pool->ping();
  REQUIRE_FALSE(down.has_value());
  CHECK(down.error().code == Errc::kUnavailable);
  // One broken connection sweeps the idle ones: they died with the server.
  CHECK(pool->stats().idle == 0);
  CHECK(pool->stats().open == 0);
  auto still_down = pool->ping();
  REQUIRE_FALSE(still_down.has_value());
  CHECK(still_down.error().code == Errc::kUnavailable);

  REQUIRE(server.restart().has_value());
  CHECK(eventually([&] { return pool->ping().has_value(); }));
  auto set = pool->command({"SET", "after", "1"});
  CHECK(set.has_value());
}

TEST_CASE("sha1_hex agrees with SCRIPT LOAD") {
  auto server = start_redis();
  auto pool = make_pool(pool_options(server));
  const std::string source = "return redis.call('PING')";
  auto loaded = pool->command({"SCRIPT", "LOAD", source});
  REQUIRE(loaded.has_value());
  CHECK(loaded->text() == sha1_hex(source));
}
