#include "file_transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "aether/digest/sha256.hpp"
#include "aether/guest_proto/framing.hpp"

namespace aether::vm_agent {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Rejects what is not an absolute, NUL-free path; "" when fine.
std::string check_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return "path must be absolute, got '" + path + "'";
  if (path.find('\0') != std::string::npos) return "path must not contain NUL";
  if (path.back() == '/') return "path must name a file, got '" + path + "'";
  if (path.find("/../") != std::string::npos || path.ends_with("/..")) {
    return "path must not contain '..', got '" + path + "'";
  }
  return {};
}

bool make_parents(const std::string& path) {
  for (std::size_t pos = path.find('/', 1); pos != std::string::npos;
       pos = path.find('/', pos + 1)) {
    const std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return true;
}

}  // namespace

v1::GuestFrame error_frame(std::uint64_t id, int code, const std::string& message) {
  v1::GuestFrame frame;
  frame.set_id(id);
  frame.mutable_error()->set_code(code);
  frame.mutable_error()->set_message(message);
  return frame;
}

struct FileTransfers::Upload {
  std::string path;     // as the host named it
  std::string fs_path;  // under the agent's root
  std::string temp_path;
  int fd = -1;
  std::uint64_t size = 0;
  digest::Sha256 digest;
  bool failed = false;  // already answered with an error; swallow the rest
  ~Upload() {
    if (fd >= 0) ::close(fd);
    if (!temp_path.empty()) ::unlink(temp_path.c_str());
  }
};

FileTransfers::FileTransfers(std::size_t max_bytes, std::string root)
    : max_bytes_(max_bytes), root_(std::move(root)) {}
FileTransfers::~FileTransfers() = default;

void FileTransfers::begin_put(std::uint64_t id, const v1::FilePut& put, const Emit& emit) {
  if (uploads_.contains(id)) {
    emit(error_frame(
        id, 409,
        "file put: a put with frame id " + std::to_string(id) + " is already in progress"));
    return;
  }
  if (auto bad = check_path(put.path()); !bad.empty()) {
    emit(error_frame(id, 400, "file put: " + bad));
    // Still track it, failed, so its FileData frames are swallowed quietly.
    auto upload = std::make_unique<Upload>();
    upload->failed = true;
    uploads_[id] = std::move(upload);
    return;
  }
  auto* upload = (uploads_[id] = std::make_unique<Upload>()).get();
  upload->path = put.path();
  upload->fs_path = root_ + put.path();
  upload->temp_path = upload->fs_path + ".aether-put-" + std::to_string(id);
  if (put.create_parents() && !make_parents(upload->fs_path)) {
    upload->temp_path.clear();
    fail(id, *upload, 500,
         errno_text("file put: cannot create the parents of '" + put.path() + "'"), emit);
    return;
  }
  const mode_t mode = put.mode() == 0 ? 0644 : static_cast<mode_t>(put.mode() & 07777);
  upload->fd = ::open(upload->temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (upload->fd < 0) {
    upload->temp_path.clear();
    fail(id, *upload, errno == ENOENT ? 404 : 500,
         errno_text("file put: cannot create '" + put.path() + "'"), emit);
    return;
  }
  ::fchmod(upload->fd, mode);  // the umask must not narrow the requested mode
  append(id, *upload, put.content(), false, emit);
}

void FileTransfers::data(std::uint64_t id, const v1::FileData& data, const Emit& emit) {
  auto it = uploads_.find(id);
  if (it == uploads_.end()) {
    emit(error_frame(id, 404,
                     "file data: no file put in progress with frame id " + std::to_string(id)));
    return;
  }
  append(id, *it->second, data.data(), data.last(), emit);
}

void FileTransfers::append(std::uint64_t id, Upload& upload, const std::string& bytes, bool last,
                           const Emit& emit) {
  if (!upload.failed && !bytes.empty()) {
    if (upload.size + bytes.size() > max_bytes_) {
      fail(id, upload, 413,
           "file put: '" + upload.path + "' is above the limit of " + std::to_string(max_bytes_) +
               " bytes",
           emit);
    } else {
      std::size_t off = 0;
      while (off < bytes.size()) {
        const ssize_t n = ::write(upload.fd, bytes.data() + off, bytes.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          fail(id, upload, 500, errno_text("file put: writing '" + upload.path + "'"), emit);
          break;
        }
        off += static_cast<std::size_t>(n);
      }
      if (!upload.failed) {
        upload.size += bytes.size();
        upload.digest.update(bytes);
      }
    }
  }
  if (!last) return;
  if (!upload.failed) {
    if (::fsync(upload.fd) != 0 || ::close(upload.fd) != 0) {
      upload.fd = -1;
      fail(id, upload, 500, errno_text("file put: flushing '" + upload.path + "'"), emit);
    } else {
      upload.fd = -1;
      if (::rename(upload.temp_path.c_str(), upload.fs_path.c_str()) != 0) {
        fail(id, upload, 500, errno_text("file put: renaming into '" + upload.path + "'"), emit);
      } else {
        upload.temp_path.clear();
        v1::GuestFrame reply;
        reply.set_id(id);
        auto* body = reply.mutable_file_put_reply();
        body->set_path(upload.path);
        body->set_size(upload.size);
        body->set_sha256(upload.digest.hex());
        emit(reply);
      }
    }
  }
  uploads_.erase(id);  // destroys upload
}

void FileTransfers::fail(std::uint64_t id, Upload& upload, int code, const std::string& message,
                         const Emit& emit) {
  upload.failed = true;
  if (upload.fd >= 0) ::close(upload.fd);
  upload.fd = -1;
  emit(error_frame(id, code, message));
}

void FileTransfers::get(std::uint64_t id, const v1::FileGet& get, const Emit& emit) {
  if (auto bad = check_path(get.path()); !bad.empty()) {
    emit(error_frame(id, 400, "file get: " + bad));
    return;
  }
  const std::string fs_path = root_ + get.path();
  const int fd = ::open(fs_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    emit(error_frame(id, errno == ENOENT ? 404 : 500,
                     errno_text("file get: cannot open '" + get.path() + "'")));
    return;
  }
  struct stat st {};
  ::fstat(fd, &st);
  const std::uint64_t limit =
      get.max_bytes() == 0 ? max_bytes_ : std::min<std::uint64_t>(get.max_bytes(), max_bytes_);
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    emit(error_frame(id, 400, "file get: '" + get.path() + "' is not a regular file"));
    return;
  }
  if (static_cast<std::uint64_t>(st.st_size) > limit) {
    ::close(fd);
    emit(error_frame(id, 413,
                     "file get: '" + get.path() + "' is " + std::to_string(st.st_size) +
                         " bytes, above max_bytes " + std::to_string(limit)));
    return;
  }
  digest::Sha256 digest;
  std::vector<char> buf(guest_proto::kChunkSize);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string message = errno_text("file get: reading '" + get.path() + "'");
      ::close(fd);
      emit(error_frame(id, 500, message));
      return;
    }
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
    if (total > limit) {  // the file grew while being read
      ::close(fd);
      emit(error_frame(
          id, 413, "file get: '" + get.path() + "' grew above max_bytes " + std::to_string(limit)));
      return;
    }
    digest.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    v1::GuestFrame frame;
    frame.set_id(id);
    frame.mutable_file_data()->set_data(buf.data(), static_cast<std::size_t>(n));
    emit(frame);
  }
  ::close(fd);
  v1::GuestFrame reply;
  reply.set_id(id);
  auto* body = reply.mutable_file_get_reply();
  body->set_path(get.path());
  body->set_mode(st.st_mode & 07777);
  body->set_size(total);
  body->set_sha256(digest.hex());
  emit(reply);
}

}  // namespace aether::vm_agent
