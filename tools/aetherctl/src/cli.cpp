#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>
#include <optional>
#include <ostream>

#include "bus_commands.hpp"
#include "completion.hpp"
#include "context.hpp"
#include "platform_commands.hpp"
#include "vm_commands.hpp"

namespace aether::ctl {
namespace {

std::string default_config_file() {
  if (const char* explicit_file = std::getenv("AETHERCTL_CONFIG")) return explicit_file;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/aether/aetherctl.toml";
  }
  if (const char* home = std::getenv("HOME"))
    return std::string(home) + "/.config/aether/aetherctl.toml";
  return "aetherctl.toml";
}

using Command = std::function<Result<int>(Context&)>;

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"aetherctl: microVM sandboxes on Aether, through its REST api or the NATS bus"};
  app.set_version_flag("--version", std::string(AETHER_VERSION));
  app.require_subcommand(1);
  app.fallthrough();
  app.set_config("--config", default_config_file(),
                 "TOML file with api-url, api-key, nats-url, tenant, output", false);

  Settings settings;
  app.add_option("--api-url", settings.api_url, "REST api base URL")
      ->envname("AETHER_API_URL")
      ->capture_default_str();
  app.add_option("--api-key", settings.api_key, "API key (Bearer)")->envname("AETHER_API_KEY");
  app.add_option("--nats-url", settings.nats_url, "NATS for --bus and bus commands")
      ->envname("NATS_URL")
      ->capture_default_str();
  app.add_option("--tenant", settings.tenant, "Aether-Tenant on bus commands")
      ->envname("AETHER_TENANT");
  app.add_option("-o,--output", settings.output, "table, json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}))
      ->capture_default_str();
  app.add_flag("--bus", settings.bus, "go through NATS directly instead of the REST api");
  app.add_option("--traceparent", settings.traceparent,
                 "W3C traceparent to send, so the call joins (and names) a trace");
  app.add_option("--timeout", settings.timeout_seconds, "seconds for one call")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  Command command;

  // vm ...
  auto* vm = app.add_subcommand(
      "vm", "create, list, inspect, exec in, stop, pause, resume and delete VMs");
  vm->require_subcommand(1);
  auto create = std::make_shared<CreateOptions>();
  auto* c = vm->add_subcommand("create", "create a VM (--wait: until READY, showing its states)");
  c->add_option("--template", create->template_name, "guest template")->capture_default_str();
  c->add_option("--vcpus", create->vcpus, "vCPUs (default: the api's)")->check(CLI::PositiveNumber);
  c->add_option("--memory-mib", create->memory_mib, "memory in MiB (default: the api's)")
      ->check(CLI::PositiveNumber);
  c->add_option("--ttl", create->ttl_seconds, "seconds until the VM is stopped")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--idle-timeout", create->idle_timeout_seconds, "idle seconds until stopped")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--network", create->network, "give the VM a network");
  c->add_option("--egress-allow", create->egress_allow,
                "allowed destination (IPv4[/n][:port]), repeatable");
  c->add_option("--env", create->env, "KEY=VALUE for every exec, repeatable");
  c->add_option("--label", create->labels, "KEY=VALUE label, repeatable");
  c->add_flag("--wait", create->wait, "wait until READY, showing each state");
  c->add_option("--wait-timeout", create->wait_timeout_seconds, "seconds --wait waits")
      ->capture_default_str();
  c->add_option("--idempotency-key", create->idempotency_key, "Idempotency-Key for a safe retry");
  c->callback(
      [&, create] { command = [create](Context& ctx) { return vm_create(ctx, *create); }; });

  auto list = std::make_shared<ListOptions>();
  auto* l = vm->add_subcommand("list", "list your VMs, newest first");
  l->add_option("--state", list->state, "only VMs in this state");
  l->add_option("--label", list->labels, "only VMs with label k=v, repeatable");
  l->add_option("--limit", list->limit, "page size")->check(CLI::PositiveNumber);
  l->add_flag("--all", list->all, "every page");
  l->callback([&, list] { command = [list](Context& ctx) { return vm_list(ctx, *list); }; });

  auto id = std::make_shared<std::string>();
  auto* g = vm->add_subcommand("get", "one VM");
  g->add_option("id", *id, "VM id")->required();
  g->callback([&, id] { command = [id](Context& ctx) { return vm_get(ctx, *id); }; });

  auto* ev = vm->add_subcommand("events", "a VM's history of states");
  ev->add_option("id", *id, "VM id")->required();
  ev->callback([&, id] { command = [id](Context& ctx) { return vm_events(ctx, *id); }; });

  auto exec = std::make_shared<ExecOptions>();
  auto* x = vm->add_subcommand("exec", "run a command in a VM; exits with its exit code");
  x->add_option("id", exec->vm, "VM id")->required();
  x->add_option("argv", exec->argv, "the command (after --)")->required();
  x->add_option("--env", exec->env, "KEY=VALUE, repeatable");
  x->add_option("--cwd", exec->cwd, "working directory in the guest");
  x->add_option("--stdin", exec->stdin_file, "file to feed as stdin (- for this stdin)");
  x->add_option("--exec-timeout", exec->timeout_seconds, "seconds before the command is killed");
  x->add_flag("--collect", exec->collect, "one answer at the end instead of streaming");
  x->positionals_at_end();
  x->callback([&, exec] {
    // CLI11 hands a subcommand's "--" separator on as a positional: it is not
    // part of the guest's command.
    if (!exec->argv.empty() && exec->argv.front() == "--") exec->argv.erase(exec->argv.begin());
    command = [exec](Context& ctx) { return vm_exec(ctx, *exec); };
  });

  auto grace = std::make_shared<int>(0);
  auto* s = vm->add_subcommand("stop", "stop a VM (its guest powers off)");
  s->add_option("id", *id, "VM id")->required();
  s->add_option("--grace", *grace, "seconds the guest gets to power off")
      ->check(CLI::NonNegativeNumber);
  s->callback([&, id, grace] {
    command = [id, grace](Context& ctx) { return vm_stop(ctx, *id, *grace); };
  });

  for (const char* op : {"pause", "resume"}) {
    auto* pr = vm->add_subcommand(op, std::string(op) == "pause"
                                          ? "pause a VM (state saved on its worker, room freed)"
                                          : "resume a paused VM on its worker");
    pr->add_option("id", *id, "VM id")->required();
    pr->callback([&, id, op] {
      command = [id, op](Context& ctx) { return vm_pause_or_resume(ctx, *id, op); };
    });
  }

  auto* d = vm->add_subcommand("delete", "delete a VM");
  d->add_option("id", *id, "VM id")->required();
  d->callback([&, id] { command = [id](Context& ctx) { return vm_delete(ctx, *id); }; });

  auto wait = std::make_shared<WaitOptions>();
  auto* w = vm->add_subcommand("wait", "wait until a VM reaches a state");
  w->add_option("id", wait->vm, "VM id")->required();
  w->add_option("--state", wait->state, "state to wait for")->capture_default_str();
  w->add_option("--wait-timeout", wait->timeout_seconds, "seconds")->capture_default_str();
  w->callback([&, wait] { command = [wait](Context& ctx) { return vm_wait(ctx, *wait); }; });

  auto cp_args = std::make_shared<std::vector<std::string>>();
  auto* cp = app.add_subcommand("cp", "copy a file into or out of a VM: cp ./f VM:/tmp/f");
  cp->add_option("paths", *cp_args, "SOURCE DEST")->required()->expected(2);
  cp->callback([&, cp_args] {
    command = [cp_args](Context& ctx) { return copy(ctx, (*cp_args)[0], (*cp_args)[1]); };
  });

  // bus ...
  auto* bus_cmd = app.add_subcommand("bus", "put a command straight onto the NATS bus");
  bus_cmd->require_subcommand(1);
  auto send = std::make_shared<BusSendOptions>();
  for (const char* name : {"publish", "request"}) {
    auto* b =
        bus_cmd->add_subcommand(name, std::string(name) == "publish"
                                          ? "publish (JetStream with a PubAck on stream subjects)"
                                          : "request-reply, prints the reply");
    b->add_option("subject", send->subject, "subject, e.g. aether.cmd.vm.create")->required();
    b->add_option("--json", send->json, "payload in proto3 JSON");
    b->add_option("--file", send->file, "payload file (- for stdin)");
    b->add_option("--type", send->type, "message type, e.g. aether.v1.CreateVm");
    b->add_option("--msg-id", send->msg_id, "Nats-Msg-Id (default: the request id, or a new one)");
    b->add_flag("--protobuf", send->protobuf, "send protobuf instead of JSON");
    bool is_publish = std::string(name) == "publish";
    b->callback([&, send, is_publish] {
      command = [send, is_publish](Context& ctx) {
        return is_publish ? bus_publish(ctx, *send) : bus_request(ctx, *send);
      };
    });
  }

  auto events_options = std::make_shared<EventsOptions>();
  auto* e = app.add_subcommand("events", "your VMs' lifecycle events (Server-Sent Events)");
  e->add_flag("-f,--follow", events_options->follow, "keep following, resuming after a drop");
  e->add_option("--since", events_options->since, "start after this event id");
  e->add_option("--max", events_options->max_events, "stop after this many events");
  e->callback([&, events_options] {
    command = [events_options](Context& ctx) { return events(ctx, *events_options); };
  });

  app.add_subcommand("workers", "workers with capacity and load (operator)")->callback([&] {
    command = [](Context& ctx) { return workers(ctx); };
  });
  app.add_subcommand("templates", "templates the live workers offer (VmSpec.template)")
      ->callback([&] { command = [](Context& ctx) { return templates(ctx); }; });
  app.add_subcommand("nodes", "nodes as the node-provisioner reports them (operator)")
      ->callback([&] { command = [](Context& ctx) { return nodes(ctx); }; });
  auto* as = app.add_subcommand("autoscaler", "the autoscaler (operator)");
  as->require_subcommand(1);
  as->add_subcommand("status", "its latest decisions")->callback([&] {
    command = [](Context& ctx) { return autoscaler_status(ctx); };
  });
  app.add_subcommand("services", "services on the bus (NATS micro discovery)")->callback([&] {
    command = [](Context& ctx) { return list_services(ctx); };
  });

  auto tenant_id = std::make_shared<std::string>();
  auto tenant_name = std::make_shared<std::string>();
  auto tenant_operator = std::make_shared<bool>(false);
  auto* t = app.add_subcommand("tenant", "tenants (operator)");
  t->require_subcommand(1);
  auto* tc = t->add_subcommand("create", "create a tenant and print its first key (once)");
  tc->add_option("id", *tenant_id, "tenant id ([a-z0-9][a-z0-9_-]*)")->required();
  tc->add_option("--name", *tenant_name, "display name");
  tc->add_flag("--operator", *tenant_operator, "give the key the operator scope");
  tc->callback([&, tenant_id, tenant_name, tenant_operator] {
    command = [=](Context& ctx) {
      return tenant_create(ctx, *tenant_id, *tenant_operator, *tenant_name);
    };
  });

  std::string shell;
  auto* comp = app.add_subcommand("completion", "print a shell completion script");
  comp->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  comp->callback([&] {
    command = [&](Context& ctx) -> Result<int> {
      ctx.out() << (shell == "bash" ? bash_completion(app) : zsh_completion(app));
      return kExitOk;
    };
  });

  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << AETHER_VERSION << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "aetherctl: " << e.what() << "\n";
    // The help of the (sub)command that was being parsed.
    err << "run 'aetherctl --help' (or '<command> --help') for usage\n";
    return kExitUsage;
  }
  if (!command) {
    err << app.help();
    return kExitUsage;
  }
  Context ctx(settings, out, err);
  auto result = command(ctx);
  if (!result) {
    err << "aetherctl: " << result.error().message << "\n";
    return result.error().exit_code;
  }
  return *result;
}

}  // namespace aether::ctl
