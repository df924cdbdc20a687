using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// The write functions (migration WriteFunctions) plan their statements once per connection. PL/pgSQL caches
    /// each statement's plan, but under the default <c>plan_cache_mode</c> PostgreSQL keeps making a custom plan for
    /// the call's values whenever the generic plan's estimate is higher, and for <c>mesh_first_missing</c>'s probe
    /// (an <c>unnest</c> of the API's arrays, estimated at 10 rows generic and 1 custom) it always is: every write
    /// planned that statement again, about 0.2 ms of PostgreSQL's CPU per call, more than the probe itself (issue14l).
    /// The generic plans are the same index probes (each statement keys on the identity or the quota scope's primary
    /// key), so the three write functions force them; the setting holds for the functions they call, and only
    /// while the write runs.
    /// </summary>
    public partial class WriteFunctionsGenericPlans : Migration
    {
        private static readonly string[] WriteFunctions =
        [
            "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, jsonb, text, smallint, integer, bigint, boolean)",
            "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, jsonb)",
            "mesh_delete_resource(text, text, text, text, text, timestamptz, text[], text[], text[], text, text, integer, text, smallint)",
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var function in WriteFunctions)
            {
                migrationBuilder.Sql($"ALTER FUNCTION {function} SET plan_cache_mode = force_generic_plan;");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var function in WriteFunctions)
            {
                migrationBuilder.Sql($"ALTER FUNCTION {function} RESET plan_cache_mode;");
            }
        }
    }
}
