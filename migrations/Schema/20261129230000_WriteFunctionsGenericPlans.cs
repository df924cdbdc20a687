using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// The write functions (migration WriteFunctions) plan their statements once per connection. PL/pgSQL caches
    /// each statement's plan, but under the default <c>plan_cache_mode</c> PostgreSQL keeps making a custom plan for
    /// the call's values whenever the generic plan's estimate is higher, and for <c>mesh_first_missing</c>'s probe
    /// (an <c>unnest</c> of the API's arrays, estimated at 10 rows generic and 1 custom) it always is: every create and update
    /// planned that statement again, about 0.2 ms of PostgreSQL's CPU per call, more than the probe itself (issue14l).
    /// The generic plans are the same index probes (each statement keys on the identity or the quota scope's primary
    /// key), so the create and update functions force them; the setting holds for the functions they call, and only
    /// while the write runs. Measured in one session (2,000 calls, the backend's CPU from /proc): a create 0.82–0.85
    /// → 0.52–0.56 ms, an update 0.70–0.82 → 0.42–0.62 ms. The delete function is left as it was: its statements
    /// were not planned again (0.30–0.46 against 0.28–0.48 ms), since it probes for what is missing only when it
    /// refuses.
    /// </summary>
    public partial class WriteFunctionsGenericPlans : Migration
    {
        private static readonly string[] WriteFunctions =
        [
            "mesh_create_resource(text, text, text, text, text, text, uuid, jsonb, jsonb, text[], text, timestamptz, text[], text[], text[], boolean, integer, text, text, text, timestamptz, jsonb, text, smallint, integer, bigint, boolean)",
            "mesh_update_resource(text, text, text, text, text, jsonb, text[], timestamptz, text[], text[], text[], integer, boolean, integer, text, text, text, timestamptz, jsonb)",
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
