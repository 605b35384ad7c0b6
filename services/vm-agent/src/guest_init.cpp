#include "guest_init.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace aether::vm_agent {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

void mount_one(const char* source, const char* target, const char* type, unsigned long flags,
               const char* data) {
  ::mkdir(target, 0755);
  if (::mount(source, target, type, flags, data) != 0 && errno != EBUSY) {
    console_log(std::string("mount ") + target + " (" + type + "): " + std::strerror(errno));
  }
}

// Module file name to the name the kernel uses for its parameters.
std::string module_name(const std::string& file) {
  std::string base = file.substr(file.rfind('/') + 1);
  base = base.substr(0, base.find('.'));
  for (auto& c : base) {
    if (c == '-') c = '_';
  }
  return base;
}

}  // namespace

void console_log(const std::string& line) {
  const std::string out = "aether-vm-agent: " + line + "\n";
  (void)!::write(2, out.data(), out.size());
}

std::map<std::string, std::string> read_kernel_cmdline(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream words(read_first_line(path));
  std::string word;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos)
      out[word] = "";
    else
      out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

void mount_kernel_filesystems() {
  mount_one("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  mount_one("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "ptmxmode=0666");
  mount_one("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_one("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  // The initramfs has no /dev/console node, so the kernel may have started us
  // without stdio; devtmpfs has one now.
  const int console = ::open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (console >= 0) {
    for (int fd = 0; fd <= 2; ++fd) {
      if (::fcntl(fd, F_GETFD) < 0) ::dup2(console, fd);
    }
    if (console > 2) ::close(console);
  }
  // The kernel starts as "(none)"; the initramfs names the guest in /etc/hostname
  // (a restored VM later gets its own name in the Restored frame).
  if (const std::string name = read_first_line("/etc/hostname"); !name.empty()) {
    if (::sethostname(name.data(), name.size()) != 0) {
      console_log("hostname " + name + ": " + std::strerror(errno));
    }
  }
}

std::vector<std::string> load_modules(const std::string& list_path,
                                      const std::map<std::string, std::string>& cmdline) {
  std::vector<std::string> failed;
  std::ifstream list(list_path);
  if (!list) {
    console_log("no module list at " + list_path);
    return failed;
  }
  const std::string dir = list_path.substr(0, list_path.rfind('/'));
  std::string file;
  while (std::getline(list, file)) {
    if (file.empty() || file[0] == '#') continue;
    const std::string name = module_name(file);
    std::string params;
    for (const auto& [key, value] : cmdline) {
      if (key.size() > name.size() + 1 && key.compare(0, name.size() + 1, name + ".") == 0) {
        if (!params.empty()) params += ' ';
        params += key.substr(name.size() + 1) + (value.empty() ? "" : "=" + value);
      }
    }
    const std::string path = file[0] == '/' ? file : dir + "/" + file;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      console_log("module " + path + ": " + std::strerror(errno));
      failed.push_back(name);
      continue;
    }
    if (::syscall(SYS_finit_module, fd, params.c_str(), 0) != 0 && errno != EEXIST) {
      console_log("finit_module " + path + ": " + std::strerror(errno));
      failed.push_back(name);
    }
    ::close(fd);
  }
  return failed;
}

std::string mount_root_filesystem(const std::string& device, const std::string& target,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (::access(device.c_str(), F_OK) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      console_log("root filesystem " + device + " did not appear");
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::mkdir(target.c_str(), 0755);
  if (::mount(device.c_str(), target.c_str(), "ext4", MS_NOATIME, nullptr) != 0) {
    console_log("mount " + device + " on " + target + ": " + std::strerror(errno));
    return {};
  }
  mount_one("proc", (target + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  mount_one("sysfs", (target + "/sys").c_str(), "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  mount_one("devtmpfs", (target + "/dev").c_str(), "devtmpfs", MS_NOSUID, "mode=0755");
  mount_one("devpts", (target + "/dev/pts").c_str(), "devpts", MS_NOSUID | MS_NOEXEC,
            "ptmxmode=0666");
  mount_one("tmpfs", (target + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  mount_one("tmpfs", (target + "/run").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
  return target;
}

int open_virtio_port(const std::string& port_name, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (DIR* dir = ::opendir("/sys/class/virtio-ports")) {
      std::string found;
      while (dirent* entry = ::readdir(dir)) {
        const std::string port = entry->d_name;
        if (port[0] == '.') continue;
        if (read_first_line("/sys/class/virtio-ports/" + port + "/name") == port_name) found = port;
      }
      ::closedir(dir);
      if (!found.empty()) {
        const int fd = ::open(("/dev/" + found).c_str(), O_RDWR | O_CLOEXEC);
        if (fd >= 0) return fd;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int accept_vsock(unsigned port) {
  const int listener = ::socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return -1;
  sockaddr_vm addr{};
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = VMADDR_CID_ANY;
  addr.svm_port = port;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0) {
    console_log("vsock port " + std::to_string(port) + ": " + std::strerror(errno));
    ::close(listener);
    return -1;
  }
  const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(listener);
  return fd;
}

}  // namespace aether::vm_agent
