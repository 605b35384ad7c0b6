// fake-firecracker: a stand-in for the firecracker binary (not installable
// here) for the runtime's contract tests. Same command line (--api-sock,
// --id), checks every API request against the published API (contract.cpp)
// and answers like Firecracker (204, or 400 with fault_message), and plays
// the host side of hybrid vsock: after InstanceStart it listens on uds_path,
// answers "CONNECT <port>\n" with "OK <n>\n" and serves the real agent logic
// (aether_vm_agent_core) on that connection, running host commands. It exits
// when the agent is told to shut down (as Firecracker exits on guest reboot)
// or on SendCtrlAltDel.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent.hpp"
#include "contract.hpp"

namespace {

std::atomic<bool> g_exit{false};

int listen_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 8) != 0) {
    std::perror(("fake-firecracker: listen " + path).c_str());
    std::exit(1);
  }
  return fd;
}

std::optional<std::string> read_line(int fd) {
  std::string line;
  char c;
  while (line.size() < 128 && ::read(fd, &c, 1) == 1) {
    if (c == '\n') return line;
    line.push_back(c);
  }
  return std::nullopt;
}

void serve_vsock(int listener, unsigned agent_port) {
  for (;;) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto line = read_line(fd);
    if (!line || *line != "CONNECT " + std::to_string(agent_port)) {
      ::close(fd);  // like Firecracker: nobody listens on that guest port
      continue;
    }
    const std::string ok = "OK 1073741824\n";
    (void)!::write(fd, ok.data(), ok.size());
    aether::vm_agent::Agent agent(fd,
                                  aether::vm_agent::AgentOptions{.version = "fake-firecracker"});
    const auto end = agent.serve();
    ::close(fd);
    if (end == aether::vm_agent::ServeEnd::kShutdown) {
      g_exit = true;
      return;
    }
  }
}

struct State {
  bool boot_source = false;
  bool started = false;
  std::string vsock_uds;
  unsigned agent_port = 1024;
};

void respond(int fd, int status, const std::string& body) {
  const char* reason = status == 204 ? "No Content" : status == 200 ? "OK" : "Bad Request";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
  (void)!::write(fd, out.data(), out.size());
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
  if (auto bad = aether::vmm::fake::check_request(method, path, body)) return fault(*bad);
  if (method == "GET") {
    respond(fd, 200,
            nlohmann::json{{"app_name", "Firecracker"},
                           {"id", id},
                           {"state", state.started ? "Running" : "Not started"},
                           {"vmm_version", "fake"}}
                .dump());
    return;
  }
  auto json = nlohmann::json::parse(body);
  if (path == "/actions") {
    const std::string action = json["action_type"];
    if (action == "InstanceStart") {
      if (state.started) return fault("The microVM is already running.");
      if (!state.boot_source) return fault("Cannot start microvm without kernel configuration.");
      state.started = true;
      if (!state.vsock_uds.empty()) {
        std::thread(serve_vsock, listen_unix(state.vsock_uds), state.agent_port).detach();
      }
    } else if (action == "SendCtrlAltDel") {
      if (!state.started)
        return fault("The requested operation is not supported before starting the microVM.");
      g_exit = true;
    }
    std::fprintf(stderr, "fake-firecracker: PUT /actions %s -> 204\n", action.c_str());
    return respond(fd, 204, "");
  }
  if (state.started) {
    return fault("The requested operation is not supported after starting the microVM.");
  }
  if (path == "/boot-source") {
    state.boot_source = true;
    const std::string args = json.value("boot_args", "");
    const std::string key = "aether.agent.vsock_port=";
    if (auto pos = args.find(key); pos != std::string::npos) {
      state.agent_port = static_cast<unsigned>(std::stoul(args.substr(pos + key.size())));
    }
  }
  if (path == "/vsock") state.vsock_uds = json["uds_path"];
  std::fprintf(stderr, "fake-firecracker: PUT %s -> 204\n", path.c_str());
  respond(fd, 204, "");
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
  const int listener = listen_unix(api_sock);
  State state;
  while (!g_exit) {
    pollfd pfd{listener, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd, state, id);
    ::close(fd);
  }
  ::unlink(api_sock.c_str());
  return 0;
}
