// fake-firecracker: a stand-in for the firecracker binary (not installable
// here) for the runtime's contract tests. Same command line (--api-sock,
// --id), checks every API request against the published API (contract.cpp)
// and answers like Firecracker (204, or 400 with fault_message), and plays
// the guest (guest.hpp): after InstanceStart or a snapshot load it listens on
// uds_path and serves the real agent logic there. It exits when the agent is
// told to shut down (as Firecracker exits on guest reboot) or on
// SendCtrlAltDel.
//
// The state machine is Firecracker's: boot-specific resources (machine
// config, boot source, drives, NICs, vsock) only before start; a snapshot
// load only on a fresh process (nothing configured, not started); PATCH /vm
// only after start; a snapshot only of a Paused VM. Snapshots are real files:
// snapshot_path holds the configuration as JSON and mem_file_path is a sparse
// file of mem_size_mib with a header naming the snapshot's token, so a load
// checks that the two belong together and that every drive it reopens exists
// (relative paths resolve in the working directory, as in Firecracker).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "contract.hpp"
#include "guest.hpp"

namespace {

using aether::vmm::fake::g_guest_powered_off;
using aether::vmm::fake::g_guest_running;

std::atomic<bool> g_exit{false};

struct State {
  std::string vm_state = "Not started";  // InstanceInfo.state: "Running", "Paused"
  bool configured = false;               // a boot-specific resource was set
  bool boot_source = false;
  nlohmann::json machine_config = {{"vcpu_count", 1}, {"mem_size_mib", 128}};
  std::map<std::string, nlohmann::json> drives;
  std::map<std::string, nlohmann::json> network_interfaces;
  nlohmann::json vsock;  // null until PUT /vsock
  unsigned agent_port = 1024;
};

void respond(int fd, int status, const std::string& body) {
  const char* reason = status == 204 ? "No Content" : status == 200 ? "OK" : "Bad Request";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
  (void)!::write(fd, out.data(), out.size());
}

void start_guest(const State& state) {
  if (state.vsock.is_null()) return;
  const std::string uds = state.vsock["uds_path"];
  std::thread(aether::vmm::fake::serve_vsock, aether::vmm::fake::listen_unix(uds), state.agent_port)
      .detach();
}

std::string memory_header(const std::string& token) {
  return "fake-firecracker guest memory " + token + "\n";
}

// PUT /snapshot/create of a paused VM: the configuration to snapshot_path,
// the "memory" to mem_file_path. Returns the fault, empty on success.
std::string create_snapshot(const State& state, const nlohmann::json& params) {
  if (params.value("snapshot_type", "Full") == "Diff" &&
      !state.machine_config.value("track_dirty_pages", false)) {
    return "Cannot create a diff snapshot: dirty page tracking is not enabled.";
  }
  std::random_device random;
  const std::string token = std::to_string(random()) + std::to_string(random());
  const nlohmann::json snapshot = {{"fake_firecracker_snapshot", 1},
                                   {"token", token},
                                   {"machine_config", state.machine_config},
                                   {"drives", state.drives},
                                   {"network_interfaces", state.network_interfaces},
                                   {"vsock", state.vsock},
                                   {"agent_port", state.agent_port}};
  const std::string snapshot_path = params["snapshot_path"];
  const std::string mem_path = params["mem_file_path"];
  {
    std::ofstream out(snapshot_path, std::ios::trunc);
    out << snapshot.dump() << "\n";
    if (!out) return "Cannot save the microVM state to " + snapshot_path;
  }
  const int fd = ::open(mem_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "Cannot create the memory file " + mem_path + ": " + std::strerror(errno);
  const std::string header = memory_header(token);
  const off_t size = state.machine_config["mem_size_mib"].get<off_t>() << 20;
  const bool ok =
      ::write(fd, header.data(), header.size()) == static_cast<ssize_t>(header.size()) &&
      ::ftruncate(fd, size) == 0;
  ::close(fd);
  if (!ok) return "Cannot write the memory file " + mem_path;
  return {};
}

// PUT /snapshot/load on a fresh process. Returns the fault, empty on success.
std::string load_snapshot(State& state, const nlohmann::json& params) {
  const std::string snapshot_path = params["snapshot_path"];
  std::string mem_path;
  if (params.contains("mem_backend")) {
    if (params["mem_backend"]["backend_type"] != "File") {
      return "Load snapshot error: fake-firecracker serves only the File memory backend";
    }
    mem_path = params["mem_backend"]["backend_path"];
  } else {
    mem_path = params["mem_file_path"];
  }
  std::ifstream in(snapshot_path);
  if (!in) return "Load snapshot error: cannot open the microVM state " + snapshot_path;
  std::stringstream text;
  text << in.rdbuf();
  auto snapshot = nlohmann::json::parse(text.str(), nullptr, false);
  if (snapshot.is_discarded() || !snapshot.is_object() ||
      !snapshot.contains("fake_firecracker_snapshot")) {
    return "Load snapshot error: " + snapshot_path + " is not a microVM state file";
  }
  struct stat st {};
  if (::stat(mem_path.c_str(), &st) != 0) {
    return "Load snapshot error: cannot open the memory file " + mem_path + ": " +
           std::strerror(errno);
  }
  const off_t want = snapshot["machine_config"]["mem_size_mib"].get<off_t>() << 20;
  std::string header(memory_header(snapshot["token"]).size(), '\0');
  std::ifstream mem(mem_path, std::ios::binary);
  mem.read(header.data(), static_cast<std::streamsize>(header.size()));
  if (st.st_size != want || header != memory_header(snapshot["token"])) {
    return "Load snapshot error: the memory file " + mem_path +
           " does not belong to the microVM state " + snapshot_path;
  }
  auto interfaces = snapshot["network_interfaces"];
  for (const auto& change : params.value("network_overrides", nlohmann::json::array())) {
    const std::string iface = change["iface_id"];
    if (!interfaces.contains(iface)) {
      return "Load snapshot error: network override for an unknown interface " + iface;
    }
    interfaces[iface]["host_dev_name"] = change["host_dev_name"];
  }
  if (params.contains("vsock_override") && !snapshot["vsock"].is_null()) {
    snapshot["vsock"]["uds_path"] = params["vsock_override"]["uds_path"];
  }
  for (const auto& [id, drive] : snapshot["drives"].items()) {
    const std::string path = drive.value("path_on_host", "");
    if (::access(path.c_str(), R_OK | W_OK) != 0) {
      return "Load snapshot error: drive " + id + ": cannot open " + path + ": " +
             std::strerror(errno);
    }
  }
  state.machine_config = snapshot["machine_config"];
  state.drives = snapshot["drives"].get<std::map<std::string, nlohmann::json>>();
  state.network_interfaces = interfaces.get<std::map<std::string, nlohmann::json>>();
  state.vsock = snapshot["vsock"];
  state.agent_port = snapshot["agent_port"];
  state.configured = true;
  state.boot_source = true;
  state.vm_state = params.value("resume_vm", false) ? "Running" : "Paused";
  g_guest_running = state.vm_state == "Running";
  std::fprintf(stderr, "fake-firecracker: loaded %s (memory %s), %s\n", snapshot_path.c_str(),
               mem_path.c_str(), state.vm_state.c_str());
  start_guest(state);
  return {};
}

void handle(int fd, State& state, const std::string& id) {
  std::string data;
  char buf[4096];
  std::size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    data.append(buf, static_cast<std::size_t>(n));
  }
  const std::string head = data.substr(0, header_end);
  std::size_t length = 0;
  for (std::size_t pos = 0; pos < head.size();) {
    auto eol = head.find("\r\n", pos);
    std::string line = head.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    for (auto& c : line) {
      if (c == ':') break;
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (line.rfind("content-length:", 0) == 0) length = std::stoul(line.substr(15));
    if (eol == std::string::npos) break;
    pos = eol + 2;
  }
  std::string body = data.substr(header_end + 4);
  while (body.size() < length) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    body.append(buf, static_cast<std::size_t>(n));
  }
  const auto sp1 = head.find(' ');
  const auto sp2 = head.find(' ', sp1 + 1);
  const std::string method = head.substr(0, sp1);
  const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);

  auto fault = [&](const std::string& message) {
    std::fprintf(stderr, "fake-firecracker: %s %s -> 400 %s\n", method.c_str(), path.c_str(),
                 message.c_str());
    respond(fd, 400, nlohmann::json{{"fault_message", message}}.dump());
  };
  auto done = [&] {
    std::fprintf(stderr, "fake-firecracker: %s %s -> 204\n", method.c_str(), path.c_str());
    respond(fd, 204, "");
  };
  if (auto bad = aether::vmm::fake::check_request(method, path, body)) return fault(*bad);
  if (method == "GET") {
    if (path == "/machine-config") return respond(fd, 200, state.machine_config.dump());
    respond(fd, 200,
            nlohmann::json{{"app_name", "Firecracker"},
                           {"id", id},
                           {"state", state.vm_state},
                           {"vmm_version", "fake"}}
                .dump());
    return;
  }
  const bool started = state.vm_state != "Not started";
  auto json = nlohmann::json::parse(body);
  if (path == "/actions") {
    const std::string action = json["action_type"];
    if (action == "InstanceStart") {
      if (started) return fault("The microVM is already running.");
      if (!state.boot_source) return fault("Cannot start microvm without kernel configuration.");
      state.vm_state = "Running";
      start_guest(state);
    } else if (action == "SendCtrlAltDel") {
      if (!started)
        return fault("The requested operation is not supported before starting the microVM.");
      g_exit = true;
    }
    return done();
  }
  if (path == "/vm") {
    if (!started)
      return fault("The requested operation is not supported before starting the microVM.");
    state.vm_state = json["state"] == "Paused" ? "Paused" : "Running";
    g_guest_running = state.vm_state == "Running";
    return done();
  }
  if (path == "/snapshot/create") {
    if (!started)
      return fault("The requested operation is not supported before starting the microVM.");
    if (state.vm_state != "Paused") {
      return fault("Create snapshot error: the microVM must be paused (it is " + state.vm_state +
                   ")");
    }
    if (auto bad = create_snapshot(state, json); !bad.empty()) return fault(bad);
    return done();
  }
  if (path == "/snapshot/load") {
    if (started || state.configured) {
      return fault(
          "Loading a microVM snapshot not allowed after configuring boot-specific resources.");
    }
    if (auto bad = load_snapshot(state, json); !bad.empty()) return fault(bad);
    return done();
  }
  if (started) {
    return fault("The requested operation is not supported after starting the microVM.");
  }
  state.configured = true;
  if (path == "/machine-config") state.machine_config = json;
  if (path == "/boot-source") {
    state.boot_source = true;
    const std::string args = json.value("boot_args", "");
    const std::string key = "aether.agent.vsock_port=";
    if (auto pos = args.find(key); pos != std::string::npos) {
      state.agent_port = static_cast<unsigned>(std::stoul(args.substr(pos + key.size())));
    }
  }
  if (path.rfind("/drives/", 0) == 0) state.drives[json["drive_id"]] = json;
  if (path.rfind("/network-interfaces/", 0) == 0) state.network_interfaces[json["iface_id"]] = json;
  if (path == "/vsock") state.vsock = json;
  done();
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::string api_sock, id = "anonymous-instance";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--api-sock")
      api_sock = argv[i + 1];
    else if (flag == "--id")
      id = argv[i + 1];
    else {
      std::fprintf(stderr, "fake-firecracker: unknown argument %s\n", argv[i]);
      return 1;
    }
  }
  if (api_sock.empty()) {
    std::fprintf(stderr, "fake-firecracker: --api-sock is required\n");
    return 1;
  }
  const int listener = aether::vmm::fake::listen_unix(api_sock);
  State state;
  while (!g_exit && !g_guest_powered_off) {
    pollfd pfd{listener, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd, state, id);
    ::close(fd);
  }
  ::unlink(api_sock.c_str());
  // The guest's threads are detached and may be mid-request: leave without
  // running static destructors under them.
  std::fflush(stderr);
  std::_Exit(0);
}
