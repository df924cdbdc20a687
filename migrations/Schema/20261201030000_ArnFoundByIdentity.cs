using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// Drops <c>ux_resources_arn</c> (issue14aj): every create wrote an entry in it (134 B of WAL and one WAL record of
    /// the 14 a create wrote, issue14af), and neither its uniqueness nor its lookups are needed.
    /// <list type="bullet">
    /// <item>Uniqueness: a resource's ARN is made from the region, its account and its identity (mesh, kind, parent,
    /// name), and names cannot contain '/' (ResourceNames), so two rows with one ARN would have one identity, which
    /// <c>ux_resources_identity</c> already refuses.</item>
    /// <item>Lookups: the only readers by ARN were the tag operations (TagResource, UntagResource,
    /// ListTagsForResource); they now parse the ARN into its identity and find the row by <c>ux_resources_identity</c>,
    /// keeping <c>arn = </c> as a condition so that an ARN of another region still names nothing.</item>
    /// </list>
    /// </summary>
    public partial class ArnFoundByIdentity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(name: "ux_resources_arn", table: "resources");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(name: "ux_resources_arn", table: "resources", column: "arn", unique: true);
        }
    }
}
