using Mesh.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// The change trigger's NOTIFY leaves out transactions that notify after their commit themselves. A NOTIFY in a
    /// transaction takes PostgreSQL's one notification-queue lock at commit and holds it until the commit is
    /// flushed, so every write that changed something committed one after the other, one WAL flush each, however
    /// many ran at once. The API's resource writes now set <see cref="ChangeFeed.NotifyAfterCommitSetting"/> and send
    /// the NOTIFY right after their COMMIT, in the same round trip, as a transaction of its own with nothing to flush.
    /// Every other writer keeps the trigger's NOTIFY. Followers poll as well, so a NOTIFY lost between the two (the
    /// API dying at that instant) only delays them to their next poll.
    /// </summary>
    public partial class NotifyAfterCommit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""
                CREATE OR REPLACE FUNCTION mesh_notify_change() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    IF coalesce(current_setting('{ChangeFeed.NotifyAfterCommitSetting}', true), '') <> 'on' THEN
                        PERFORM pg_notify('{ChangeFeed.Channel}', NEW.seq::text);
                    END IF;
                    RETURN NULL;
                END;
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""
                CREATE OR REPLACE FUNCTION mesh_notify_change() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('{ChangeFeed.Channel}', NEW.seq::text);
                    RETURN NULL;
                END;
                $$;
                """);
        }
    }
}
