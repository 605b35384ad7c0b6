#include "aether/vmm/kvm_probe.hpp"

#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "aether/vmm/runtime.hpp"
#include "kvm_cheap_check.hpp"
#include "sha256.hpp"

namespace aether::vmm {
namespace {

std::string host_identity() {
  utsname uts{};
  ::uname(&uts);
  std::string id = std::string(uts.nodename) + "|" + uts.release + "|" + uts.version;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("flags", 0) == 0) id += "|" + line;
    if (line.empty()) break;  // the first CPU is enough
  }
  return id;
}

std::optional<KvmVerdict> read_cached(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  auto json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.contains("usable") || !json.contains("reason"))
    return std::nullopt;
  KvmVerdict verdict;
  verdict.usable = json["usable"].get<bool>();
  verdict.reason = json["reason"].get<std::string>();
  if (json.contains("steps")) verdict.steps = json["steps"].get<std::vector<std::string>>();
  verdict.from_cache = true;
  return verdict;
}

void write_cached(const std::filesystem::path& file, const KvmVerdict& verdict) {
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << nlohmann::json{{"usable", verdict.usable},
                          {"reason", verdict.reason},
                          {"steps", verdict.steps}}
               .dump(2);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
}

}  // namespace

KvmVerdict probe_kvm_cheap(const KvmProbeOptions& options) {
  KvmVerdict verdict;
  const pid_t pid = ::fork();
  if (pid < 0) {
    verdict.reason = "unusable: cannot fork the check process";
    return verdict;
  }
  if (pid == 0) ::_exit(kvm_cheap_check_child(options.dev_kvm.c_str()));
  const auto deadline = std::chrono::steady_clock::now() + options.cheap_timeout;
  int status = 0;
  bool done = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      done = true;
      break;
    }
    ::usleep(5'000);
  }
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    verdict.steps.push_back("cheap checks: KVM_RUN did not return within " +
                            std::to_string(options.cheap_timeout.count()) + " ms");
    verdict.reason = "unusable: a few guest instructions did not finish under KVM within " +
                     std::to_string(options.cheap_timeout.count()) + " ms";
    return verdict;
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  verdict.steps.push_back(std::string("cheap checks: ") + cheap_check_step(code));
  verdict.usable = code == kCheapOk;
  verdict.reason =
      verdict.usable ? "cheap checks passed" : std::string("unusable: ") + cheap_check_step(code);
  return verdict;
}

Result<KvmVerdict> probe_kvm(const KvmProbeOptions& options) {
  auto kernel_sum = sha256_file(options.kernel);
  if (!kernel_sum) {
    return std::unexpected(Error{
        Errc::kMissingFile, "KVM probe: kernel: no such file: '" + options.kernel.string() + "'"});
  }
  auto initrd_sum = sha256_file(options.initrd);
  if (!initrd_sum) {
    return std::unexpected(Error{
        Errc::kMissingFile, "KVM probe: initrd: no such file: '" + options.initrd.string() + "'"});
  }
  const std::string key =
      sha256_hex(host_identity() + "|" + *kernel_sum + "|" + *initrd_sum + "|" + options.dev_kvm)
          .substr(0, 24);
  const auto cache_file = options.cache_dir / ("kvm-verdict-" + key + ".json");
  if (options.use_cache) {
    if (auto cached = read_cached(cache_file)) return *cached;
  }

  KvmVerdict verdict = probe_kvm_cheap(options);
  if (verdict.usable) {
    VmConfig config;
    config.id = "kvm-probe";
    config.state_dir = options.work_dir;
    config.kernel = options.kernel;
    config.initrd = options.initrd;
    config.boot_timeout = options.boot_timeout;
    config.request_timeout = std::chrono::seconds(5);
    auto runtime = make_qemu_runtime(QemuOptions{.binary = options.qemu_binary}, true);
    auto vm = runtime->boot(config);
    if (vm) {
      verdict.steps.push_back("guest boot under KVM: agent answered in " +
                              std::to_string((*vm)->boot_time().count() / 1000) + " ms");
      verdict.reason = "usable: the guest booted under KVM and its agent answered";
      (void)(*vm)->shutdown();
    } else {
      verdict.usable = false;
      const bool timed_out = vm.error().code == Errc::kBootTimeout;
      verdict.steps.push_back("guest boot under KVM: " + vm.error().message.substr(0, 300));
      verdict.reason = timed_out ? "unusable: the guest kernel did not answer under KVM within " +
                                       std::to_string(options.boot_timeout.count() / 1000) + " s"
                                 : "unusable: the guest did not boot under KVM: " +
                                       vm.error().message.substr(0, 200);
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(options.cache_dir, ec);
  if (!ec) write_cached(cache_file, verdict);
  spdlog::info("vmm: KVM probe: {}", verdict.reason);
  return verdict;
}

}  // namespace aether::vmm
