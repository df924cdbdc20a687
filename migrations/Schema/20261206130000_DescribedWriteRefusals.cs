using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// The write functions' refusals say what they are. Each carried only its facts as its message (a missing reference
    /// was <c>ERROR:  3</c>, a route's port <c>ERROR:  8080, 9090</c>), which is what PostgreSQL's server log shows: an
    /// operator reading it saw a meaningless error. Now each message starts with what refused the write and how the API
    /// answers it, and ends, after the first <c>": "</c>, with the same facts, which the API reads from there
    /// (<c>WriteRefusals.Facts</c>): <c>ERROR:  mesh write refused (answered NotFoundException by the API), needed
    /// resource missing at position (0 = the resource itself): 3</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Only the RAISE statements with the refusals' SQLSTATEs change, and only the text before their facts, so the
    /// functions are rewritten from their own definitions (<c>pg_get_functiondef</c>, which keeps each one's settings,
    /// such as <c>plan_cache_mode</c>) rather than copied here whole: five functions of up to 90 lines each for a prefix.
    /// The rewrite refuses to finish if a refusal is left without its prefix. The down takes the prefixes out again.
    /// </para>
    /// <para>
    /// The API of this version reads the facts with or without the prefix; an API of an earlier version reads the whole
    /// message as the facts, so on this schema it answers a missing reference, a route's port and the other refusals
    /// with a 500: upgrade the API with the migrations, as run.sh and the deploy manifests do.
    /// </para>
    /// </remarks>
    public partial class DescribedWriteRefusals : Migration
    {
        /// <summary>
        /// Each refusal's SQLSTATE and what its message now says before its facts. No prefix holds <c>": "</c> (the
        /// facts follow the first one), a quote or a <c>%</c>.
        /// </summary>
        private static readonly (string State, string Prefix)[] Prefixes =
        [
            ("MR001", "mesh write refused (answered NotFoundException by the API), needed resource missing at position (0 = the resource itself): "),
            ("MR002", "mesh write refused (answered BadRequestException by the API), the route match port is missing or not among the listener ports of its router: "),
            ("MR003", "mesh delete refused (answered ResourceInUseException by the API), the resource is still in use (the check that found users, then the first of them): "),
            ("MT001", "mesh write refused (answered ConflictException by the API), the clientToken was already used for a request of another operation: "),
            ("MT002", "mesh write refused (answered ServiceUnavailableException by the API, to be retried): "),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Rewrite(
            """
            FOREACH pair SLICE 1 IN ARRAY refusals LOOP
                definition := regexp_replace(definition,
                    'RAISE EXCEPTION ''([^'']*)''([^;\n]*) USING ERRCODE = ''' || pair[1] || '''',
                    'RAISE EXCEPTION ''' || pair[2] || '\1''\2 USING ERRCODE = ''' || pair[1] || '''', 'g');
            END LOOP;
            """,
            """
            -- Every refusal now starts with its prefix: as many prefixed RAISEs of each SQLSTATE as it has in all.
            FOREACH pair SLICE 1 IN ARRAY refusals LOOP
                IF (SELECT count(*) FROM regexp_matches(definition, 'ERRCODE = ''' || pair[1] || '''', 'g'))
                    <> (SELECT count(*) FROM regexp_matches(definition,
                            'RAISE EXCEPTION ''([^'']*)''[^;\n]* USING ERRCODE = ''' || pair[1] || '''', 'g') AS m
                        WHERE starts_with(m[1], pair[2])) THEN
                    RAISE EXCEPTION 'migration DescribedWriteRefusals left a % refusal without its prefix in %', pair[1], f::regprocedure;
                END IF;
            END LOOP;
            """));

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Rewrite(
            """
            FOREACH pair SLICE 1 IN ARRAY refusals LOOP
                definition := replace(definition, 'RAISE EXCEPTION ''' || pair[2], 'RAISE EXCEPTION ''');
            END LOOP;
            """,
            ""));

        /// <summary>
        /// Recreates every function of the schema that raises one of the refusals from its own definition, changed by
        /// <paramref name="change"/> (PL/pgSQL that rewrites <c>definition</c>) and then checked by <paramref name="check"/>.
        /// </summary>
        private static string Rewrite(string change, string check)
        {
            var refusals = string.Join(", ", Prefixes.Select(p => $"ARRAY['{p.State}', '{p.Prefix}']"));
            return $$"""
                DO $rewrite$
                DECLARE
                    refusals text[] := ARRAY[{{refusals}}];
                    pair text[];
                    f oid;
                    definition text;
                BEGIN
                    FOR f IN
                        SELECT p.oid FROM pg_proc AS p
                        WHERE p.pronamespace = current_schema()::regnamespace AND p.prosrc ~ 'USING ERRCODE = ''(MR00[123]|MT00[12])'''
                    LOOP
                        definition := pg_get_functiondef(f);
                {{Indent(change)}}
                {{Indent(check)}}
                        EXECUTE definition;
                    END LOOP;
                END
                $rewrite$;
                """;
        }

        private static string Indent(string lines) =>
            string.Join("\n", lines.Split('\n').Select(line => line.Length == 0 ? line : "        " + line));
    }
}
