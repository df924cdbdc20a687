using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <summary>
    /// The Cloud Map registry: namespaces, services, instances and operations, with foreign keys that keep a
    /// namespace with services and a service with instances from being deleted. Change rows carry a namespace name
    /// in <c>parent_name</c>, so it widens to Cloud Map's 1024 characters.
    /// </summary>
    public partial class CloudMapRegistry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "parent_name",
                table: "changes",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(255)",
                oldMaxLength: 255);

            migrationBuilder.CreateTable(
                name: "cloud_map_namespaces",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    account_id = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    name = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false, collation: "C"),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    arn = table.Column<string>(type: "text", nullable: false),
                    description = table.Column<string>(type: "text", nullable: true),
                    properties = table.Column<string>(type: "jsonb", nullable: false),
                    creator_request_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    tags = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_cloud_map_namespaces", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "cloud_map_operations",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    account_id = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    targets = table.Column<string>(type: "jsonb", nullable: false),
                    request_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    request_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_cloud_map_operations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "cloud_map_services",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    account_id = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    namespace_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    name = table.Column<string>(type: "character varying(127)", maxLength: 127, nullable: false, collation: "C"),
                    arn = table.Column<string>(type: "text", nullable: false),
                    description = table.Column<string>(type: "text", nullable: true),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    dns_config = table.Column<string>(type: "jsonb", nullable: true),
                    health_check_config = table.Column<string>(type: "jsonb", nullable: true),
                    health_check_custom_config = table.Column<string>(type: "jsonb", nullable: true),
                    attributes = table.Column<string>(type: "jsonb", nullable: false),
                    creator_request_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    tags = table.Column<string>(type: "jsonb", nullable: false),
                    revision = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_cloud_map_services", x => x.id);
                    table.ForeignKey(
                        name: "fk_cloud_map_services_namespace",
                        column: x => x.namespace_id,
                        principalTable: "cloud_map_namespaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "cloud_map_instances",
                columns: table => new
                {
                    service_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    instance_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    account_id = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    attributes = table.Column<string>(type: "jsonb", nullable: false),
                    creator_request_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    health_status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_cloud_map_instances", x => new { x.service_id, x.instance_id });
                    table.ForeignKey(
                        name: "fk_cloud_map_instances_service",
                        column: x => x.service_id,
                        principalTable: "cloud_map_services",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ux_cloud_map_namespaces_name",
                table: "cloud_map_namespaces",
                columns: new[] { "account_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_cloud_map_operations_account",
                table: "cloud_map_operations",
                columns: new[] { "account_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_cloud_map_operations_request",
                table: "cloud_map_operations",
                columns: new[] { "account_id", "request_id" },
                unique: true,
                filter: "request_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_cloud_map_services_account",
                table: "cloud_map_services",
                column: "account_id");

            migrationBuilder.CreateIndex(
                name: "ux_cloud_map_services_name",
                table: "cloud_map_services",
                columns: new[] { "namespace_id", "name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "cloud_map_instances");

            migrationBuilder.DropTable(
                name: "cloud_map_operations");

            migrationBuilder.DropTable(
                name: "cloud_map_services");

            migrationBuilder.DropTable(
                name: "cloud_map_namespaces");

            migrationBuilder.AlterColumn<string>(
                name: "parent_name",
                table: "changes",
                type: "character varying(255)",
                maxLength: 255,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(1024)",
                oldMaxLength: 1024);
        }
    }
}
