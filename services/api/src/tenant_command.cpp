#include "tenant_command.hpp"

#include <ostream>

#include "api_key_store.hpp"
#include "tenant_store.hpp"

namespace aether::api {

CLI::App* add_tenant_command(CLI::App& app, TenantCreateArgs& args) {
  auto* tenant = app.add_subcommand("tenant", "manage tenants directly in PostgreSQL (bootstrap)");
  auto* create = tenant->add_subcommand(
      "create", "create a tenant and print its first API key, alone, on stdout");
  create->add_option("id", args.id, "tenant id: ^[a-z0-9][a-z0-9_-]{0,62}$")->required();
  create->add_flag("--operator", args.operator_scope, "the key also has scope 'operator'");
  create->add_option("--name", args.name, "display name of the tenant (and of the key)");
  create->add_flag("--existing", args.existing,
                   "the tenant may exist: issue another key for it instead of failing");
  return create;
}

int run_tenant_create(const TenantCreateArgs& args, pg::Pool& pool, std::ostream& out,
                      std::ostream& err) {
  TenantStore tenants(pool);
  auto created = tenants.create({args.id, args.name, {}});
  if (!created) {
    const auto& e = created.error();
    if (e.code == StoreErrc::kConflict && args.existing) {
      // carry on: a new key for the tenant that exists
    } else if (e.code == StoreErrc::kConflict) {
      err << "tenant '" << args.id << "' exists already (--existing issues another key)\n";
      return 2;
    } else if (e.code == StoreErrc::kInvalid) {
      err << e.message << "\n";
      return 2;
    } else {
      err << "creating tenant '" << args.id << "': " << e.message << "\n";
      return 1;
    }
  }
  NewApiKey key{
      args.id, args.name.empty() ? "bootstrap" : args.name, {std::string(kScopeVms)}, std::nullopt};
  if (args.operator_scope) key.scopes.emplace_back(kScopeOperator);
  auto issued = ApiKeyStore(pool).issue(key);
  if (!issued) {
    err << "issuing a key for tenant '" << args.id << "': " << issued.error().message << "\n";
    return 1;
  }
  err << (created ? "created tenant '" : "tenant '") << args.id << "'"
      << (created ? "" : " (existing)") << "; key " << issued->key.prefix << " (id "
      << issued->key.id << ", scopes";
  for (const auto& s : issued->key.scopes) err << " " << s;
  err << ") printed on stdout, it is not shown again\n";
  out << issued->secret << "\n";
  return out ? 0 : 1;
}

}  // namespace aether::api
