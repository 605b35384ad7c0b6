// How aetherctl prints what the api (or the bus) answered: a table for
// people, or the JSON / YAML document itself for scripts (`--output`).
// Pure functions over JSON values; no I/O besides the stream given.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace aether::ctl {

enum class OutputFormat { kTable, kJson, kYaml };

[[nodiscard]] OutputFormat parse_output_format(const std::string& name);  // table|json|yaml

// A table column: its header and the JSON pointer of its cell
// ("/spec/vcpus"); a missing value prints as "-".
struct Column {
  std::string header;
  std::string pointer;
};

// rows: a JSON array of objects. kJson/kYaml print `document` whole (the
// api's answer, cursor included); kTable prints the rows under the columns.
void print_rows(std::ostream& out, OutputFormat format, const nlohmann::json& document,
                const nlohmann::json& rows, const std::vector<Column>& columns);
// One object: kTable prints "key: value" lines (nested objects flattened
// with dots), the others the document.
void print_object(std::ostream& out, OutputFormat format, const nlohmann::json& object);

// The JSON value as YAML (block style, strings quoted when YAML would read
// them as something else).
[[nodiscard]] std::string to_yaml(const nlohmann::json& value);

// A cell as text: strings unquoted, null/missing "-", others dumped.
[[nodiscard]] std::string cell_text(const nlohmann::json& value);

}  // namespace aether::ctl
