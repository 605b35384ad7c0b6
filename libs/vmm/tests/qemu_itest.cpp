#include <csignal>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "aether/vmm/runtime.hpp"
#include "guest_image.hpp"

using namespace aether;
using namespace aether::vmm;
using namespace aether::vmm::testing;

namespace {

v1::ExecRequest command(std::vector<std::string> argv, std::uint32_t timeout_ms = 60'000) {
  v1::ExecRequest request;
  for (auto& a : argv) request.add_argv(std::move(a));
  request.set_timeout_ms(timeout_ms);
  return request;
}

}  // namespace

// One VM for every check that does not end it (each TCG boot costs seconds).
TEST_CASE("a QEMU microVM boots, runs commands, moves files and shuts down") {
  StateRoot root;
  auto runtime = make_qemu_runtime(QemuOptions{}, false);
  auto booted = runtime->boot(guest_config(root, "lifecycle"));
  REQUIRE(booted);
  auto& vm = **booted;
  INFO("boot took " << vm.boot_time().count() / 1000 << " ms");
  CHECK(vm.hello().agent_version() != "");
  CHECK(vm.status().state == VmState::kRunning);

  auto rtt = vm.ping();
  REQUIRE(rtt);

  // uname -a reports the guest kernel the agent announced.
  auto uname = vm.exec(command({"uname", "-a"}));
  REQUIRE(uname);
  CHECK(uname->exit_code() == 0);
  CHECK_THAT(uname->stdout(), Catch::StartsWith("Linux"));
  CHECK_THAT(uname->stdout(), Catch::Contains(vm.hello().kernel_release()));
  // The guest is named from the initramfs' /etc/hostname, not the kernel's "(none)".
  auto hostname = vm.exec(command({"uname", "-n"}));
  REQUIRE(hostname);
  CHECK(hostname->stdout() == "aether\n");

  // stdin in, a non-zero exit out, and the agent's span in the caller's trace.
  auto request = command({"sh", "-c", "read line; echo \"got $line\"; echo oops >&2; exit 7"});
  request.set_stdin("hello guest\n");
  request.mutable_trace()->set_traceparent(
      "00-11112222333344445555666677778888-9999aaaabbbbcccc-01");
  auto with_stdin = vm.exec(request);
  REQUIRE(with_stdin);
  CHECK(with_stdin->exit_code() == 7);
  CHECK(with_stdin->stdout() == "got hello guest\n");
  CHECK(with_stdin->stderr() == "oops\n");
  CHECK(with_stdin->guest_span().trace_id() == "11112222333344445555666677778888");
  CHECK(with_stdin->guest_span().parent_span_id() == "9999aaaabbbbcccc");

  // A command past its timeout is killed.
  auto slow = vm.exec(command({"sleep", "60"}, 1500));
  REQUIRE(slow);
  CHECK(slow->timed_out());
  CHECK(slow->signal() == SIGKILL);

  // Large output arrives streamed, in order, complete.
  std::size_t streamed = 0;
  std::uint64_t next_seq = 0;
  bool in_order = true;
  auto large = vm.exec(command({"sh", "-c", "head -c 4000000 /dev/zero | tr '\\0' x"}),
                       [&](const v1::ExecOutputChunk& chunk) {
                         in_order = in_order && chunk.seq() == next_seq++;
                         streamed += chunk.data().size();
                         return true;
                       });
  REQUIRE(large);
  CHECK(large->exit_code() == 0);
  CHECK(streamed == 4'000'000);
  CHECK(in_order);

  // A streaming caller can stop a command.
  auto stopped = vm.exec(command({"sh", "-c", "while true; do echo tick; sleep 0.1; done"}),
                         [](const v1::ExecOutputChunk&) { return false; });
  REQUIRE(stopped);
  CHECK(stopped->signal() == SIGKILL);
  CHECK_FALSE(stopped->timed_out());

  // Files round trip, byte for byte.
  std::string content;
  for (int i = 0; i < 1'500'000; ++i) content += static_cast<char>((i * 31) % 256);
  v1::FilePut put;
  put.set_path("/tmp/work/data.bin");
  put.set_content(content);
  put.set_create_parents(true);
  put.set_mode(0640);
  auto put_reply = vm.put_file(put);
  REQUIRE(put_reply);
  CHECK(put_reply->size() == content.size());
  v1::FileGet get;
  get.set_path("/tmp/work/data.bin");
  auto got = vm.get_file(get);
  REQUIRE(got);
  CHECK(got->content() == content);
  CHECK(got->mode() == 0640);
  auto sum = vm.exec(command({"sha256sum", "/tmp/work/data.bin"}));
  REQUIRE(sum);
  CHECK_THAT(sum->stdout(), Catch::StartsWith(put_reply->sha256()));
  get.set_path("/tmp/work/missing");
  auto missing = vm.get_file(get);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::kGuestError);
  CHECK(vm.ping());  // an error reply leaves the VM usable

  // Shutdown ends the VMM cleanly; the handle then refuses work.
  const int pid = vm.vmm_pid();
  REQUIRE(vm.shutdown());
  CHECK(vm.status().state == VmState::kStopped);
  CHECK_FALSE(process_alive(pid));
  auto after = vm.ping();
  REQUIRE_FALSE(after);
  CHECK(after.error().code == Errc::kVmDead);
}

TEST_CASE("shutdown with a grace period: the guest powers off, or the VMM is killed") {
  StateRoot root;
  auto runtime = make_qemu_runtime(QemuOptions{}, false);
  SECTION("a grace long enough: the guest powers off by itself") {
    auto booted = runtime->boot(guest_config(root, "grace"));
    REQUIRE(booted);
    auto& vm = **booted;
    const int pid = vm.vmm_pid();
    auto done = vm.shutdown(std::chrono::minutes(2));
    INFO((done ? std::string("powered off") : done.error().message));
    REQUIRE(done);
    CHECK(vm.status().state == VmState::kStopped);
    CHECK_FALSE(process_alive(pid));
  }
  SECTION("no grace: the VMM is killed at once") {
    auto booted = runtime->boot(guest_config(root, "no-grace"));
    REQUIRE(booted);
    auto& vm = **booted;
    const int pid = vm.vmm_pid();
    auto done = vm.shutdown(std::chrono::milliseconds(0));
    REQUIRE_FALSE(done);
    CHECK(done.error().code == Errc::kTimeout);
    CHECK_THAT(done.error().message, Catch::Contains("killed"));
    CHECK(vm.status().state == VmState::kFailed);
    CHECK_FALSE(process_alive(pid));
  }
}

TEST_CASE("a hostile guest is killed with an error, never a hang") {
  StateRoot root;
  auto runtime = make_qemu_runtime(QemuOptions{}, false);

  SECTION("garbage instead of hello") {
    auto config = guest_config(root, "garbage");
    config.extra_cmdline = "aether.agent.mode=garbage";
    auto vm = runtime->boot(config);
    REQUIRE_FALSE(vm);
    CHECK(vm.error().code == Errc::kProtocol);
    CHECK_THAT(vm.error().message, Catch::Contains("not a GuestFrame"));
  }
  SECTION("an oversized frame as an answer") {
    auto config = guest_config(root, "oversized");
    config.extra_cmdline = "aether.agent.mode=oversized";
    auto booted = runtime->boot(config);
    REQUIRE(booted);
    auto& vm = **booted;
    const int pid = vm.vmm_pid();
    auto ping = vm.ping();
    REQUIRE_FALSE(ping);
    CHECK(ping.error().code == Errc::kProtocol);
    CHECK_THAT(ping.error().message, Catch::Contains("above the limit"));
    CHECK(vm.status().state == VmState::kFailed);
    CHECK_FALSE(process_alive(pid));
    CHECK(vm.exec(command({"true"})).error().code == Errc::kVmDead);
  }
  SECTION("a truncated frame as an answer") {
    auto config = guest_config(root, "truncated");
    config.extra_cmdline = "aether.agent.mode=truncated";
    config.request_timeout = std::chrono::seconds(5);
    auto booted = runtime->boot(config);
    REQUIRE(booted);
    auto& vm = **booted;
    const int pid = vm.vmm_pid();
    auto ping = vm.ping();
    REQUIRE_FALSE(ping);
    CHECK(ping.error().code == Errc::kTimeout);
    CHECK(vm.status().state == VmState::kFailed);
    CHECK_FALSE(process_alive(pid));
    CHECK(vm.exec(command({"true"})).error().code == Errc::kVmDead);
  }
  SECTION("silence") {
    auto config = guest_config(root, "silent");
    config.extra_cmdline = "aether.agent.mode=silent";
    config.boot_timeout = std::chrono::seconds(20);
    auto vm = runtime->boot(config);
    REQUIRE_FALSE(vm);
    CHECK(vm.error().code == Errc::kBootTimeout);
  }
}

TEST_CASE("kill from another thread ends a running exec at once") {
  StateRoot root;
  auto runtime = make_qemu_runtime(QemuOptions{}, false);
  auto booted = runtime->boot(guest_config(root, "killed"));
  REQUIRE(booted);
  auto& vm = **booted;
  const int pid = vm.vmm_pid();
  auto running = std::async(std::launch::async, [&] { return vm.exec(command({"sleep", "120"})); });
  // Let the exec reach the guest, then kill the VM from this thread.
  REQUIRE(running.wait_for(std::chrono::seconds(2)) == std::future_status::timeout);
  vm.kill();
  REQUIRE(running.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  auto result = running.get();
  REQUIRE_FALSE(result);
  CHECK(result.error().code == Errc::kVmDead);
  CHECK(vm.status().state == VmState::kFailed);
  CHECK_FALSE(process_alive(pid));
}

TEST_CASE("the VMM drops root with -runas") {
  REQUIRE(::geteuid() == 0);  // the project's machines and CI run as root
  StateRoot root;
  auto runtime = make_qemu_runtime(QemuOptions{.run_as = "nobody"}, false);
  auto booted = runtime->boot(guest_config(root, "unprivileged"));
  REQUIRE(booted);
  auto& vm = **booted;
  std::ifstream status("/proc/" + std::to_string(vm.vmm_pid()) + "/status");
  std::string line;
  while (std::getline(status, line) && line.rfind("Uid:", 0) != 0) {
  }
  CHECK_THAT(line, Catch::Contains("65534"));
  CHECK_THAT(line, !Catch::Contains("\t0\t"));
  REQUIRE(vm.ping());
  REQUIRE(vm.shutdown());
}

TEST_CASE("a bad aether.net value is logged and the agent still starts") {
  StateRoot root;
  auto runtime = make_qemu_runtime(QemuOptions{}, false);
  auto config = guest_config(root, "badnet");
  config.extra_cmdline = "aether.net=10.0.0.5/16,10.1.0.1";  // gateway outside the network
  auto booted = runtime->boot(config);
  REQUIRE(booted);
  auto& vm = **booted;
  REQUIRE(vm.ping());
  std::ifstream console(config.state_dir / "console.log");
  std::stringstream text;
  text << console.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("the gateway 10.1.0.1 must be another address in "
                                         "10.0.0.0/16; eth0 left unconfigured"));
  REQUIRE(vm.shutdown());
}
