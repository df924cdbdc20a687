using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// Every row appended to <c>changes</c> raises NOTIFY on <see cref="ChangeFeed.Channel"/> with its
    /// sequence number. PostgreSQL delivers it on commit only, so a follower never hears of a change it
    /// cannot read yet, and writers cannot forget to notify.
    /// </summary>
    public partial class ChangeNotifyTrigger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""
                CREATE FUNCTION mesh_notify_change() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('{ChangeFeed.Channel}', NEW.seq::text);
                    RETURN NULL;
                END;
                $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER changes_notify
                AFTER INSERT ON changes
                FOR EACH ROW EXECUTE FUNCTION mesh_notify_change();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS changes_notify ON changes;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS mesh_notify_change();");
        }
    }
}
