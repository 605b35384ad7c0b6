// Human and JSON renderings of the runner's results.
#pragma once

#include <ostream>
#include <vector>

#include "plan.hpp"
#include "runner.hpp"

namespace aether::migrate {

void print_up(std::ostream& out, const UpOutcome& outcome);
void print_status_table(std::ostream& out, const StatusReport& report);
void print_status_json(std::ostream& out, const StatusReport& report);
void print_plan(std::ostream& out, const std::vector<const Migration*>& plan);

}  // namespace aether::migrate
