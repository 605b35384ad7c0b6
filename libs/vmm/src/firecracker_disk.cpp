#include "firecracker_disk.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "aether/process/unique_fd.hpp"

namespace aether::vmm {
namespace {

using Fd = process::UniqueFd;

// Copies [offset, offset + length) with copy_file_range (in-kernel), falling
// back to read/write where the file systems do not support it.
bool copy_range(int in, int out, off_t offset, off_t length) {
  off_t in_off = offset, out_off = offset;
  while (length > 0) {
    const ssize_t n =
        ::copy_file_range(in, &in_off, out, &out_off, static_cast<std::size_t>(length), 0);
    if (n > 0) {
      length -= n;
      continue;
    }
    if (n == 0) return false;  // the source shrank under us
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return false;
    std::vector<char> buf(1 << 20);
    while (length > 0) {
      const auto want = static_cast<std::size_t>(std::min<off_t>(length, buf.size()));
      const ssize_t r = ::pread(in, buf.data(), want, in_off);
      if (r <= 0) return false;
      for (ssize_t done = 0; done < r;) {
        const ssize_t w =
            ::pwrite(out, buf.data() + done, static_cast<std::size_t>(r - done), out_off + done);
        if (w < 0) return false;
        done += w;
      }
      in_off += r;
      out_off += r;
      length -= r;
    }
  }
  return true;
}

}  // namespace

Result<void> clone_disk(const std::filesystem::path& from, const std::filesystem::path& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    return std::unexpected(Error{errno == ENOENT ? Errc::kMissingFile : Errc::kIo,
                                 "root disk " + from.string() + ": " + std::strerror(errno)});
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) {
    return std::unexpected(Error{Errc::kIo, "stat " + from.string() + ": " + std::strerror(errno)});
  }
  const auto tmp = std::filesystem::path(to.string() + ".tmp");
  Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.get() < 0) {
    return std::unexpected(
        Error{Errc::kIo, "creating " + tmp.string() + ": " + std::strerror(errno)});
  }
  auto fail = [&](const std::string& what) -> Result<void> {
    const Error error{Errc::kIo, what + " " + from.string() + " to " + tmp.string() + ": " +
                                     std::strerror(errno)};
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return std::unexpected(error);
  };
  if (::ioctl(out.get(), FICLONE, in.get()) != 0) {
    // No reflink here: copy the data extents and leave the holes.
    if (::ftruncate(out.get(), st.st_size) != 0) return fail("sizing");
    for (off_t data = 0; data < st.st_size;) {
      data = ::lseek(in.get(), data, SEEK_DATA);
      if (data < 0) {
        if (errno == ENXIO) break;  // only a hole is left
        return fail("seeking data in");
      }
      off_t hole = ::lseek(in.get(), data, SEEK_HOLE);
      if (hole < 0) hole = st.st_size;
      if (!copy_range(in.get(), out.get(), data, hole - data)) return fail("copying");
      data = hole;
    }
  }
  if (::fsync(out.get()) != 0) return fail("syncing the copy of");
  std::error_code ec;
  std::filesystem::rename(tmp, to, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return std::unexpected(Error{Errc::kIo, "rename " + tmp.string() + ": " + ec.message()});
  }
  return {};
}

}  // namespace aether::vmm
