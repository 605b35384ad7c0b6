// What an exec inherits from the container image a template was made from:
// its env, working directory and user. tools/guest/build-template.sh writes
// them (user already resolved against the image's /etc/passwd and /etc/group)
// into the root filesystem at /.aether/image.conf; the agent reads the file
// once after mounting the root and applies it to every exec whose request
// does not say otherwise.
//
// File format, one setting a line ('#' starts a comment):
//   env KEY=VALUE      (repeatable; later lines win)
//   workdir /abs/path
//   user UID GID       (numbers)
//   groups GID,GID...  (supplementary groups; may be empty)
//   home /abs/path     (HOME for that user)
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace aether::vm_agent {

struct ImageDefaults {
  std::map<std::string, std::string> env;
  std::string workdir;  // empty: "/"
  std::optional<uid_t> uid;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home;
};

// Parses the text of an image.conf; each bad line is reported in `problems`
// ("line 3: ...") and skipped, so one bad line never costs the rest.
[[nodiscard]] ImageDefaults parse_image_defaults(const std::string& text,
                                                 std::vector<std::string>& problems);

// Reads <root>/.aether/image.conf; nullopt when the file is absent (a
// debootstrap'd or busybox root: no image defaults).
[[nodiscard]] std::optional<ImageDefaults> load_image_defaults(const std::string& root,
                                                               std::vector<std::string>& problems);

}  // namespace aether::vm_agent
