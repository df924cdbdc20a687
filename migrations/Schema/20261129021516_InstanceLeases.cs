using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Mesh.Migrations.Schema
{
    /// <inheritdoc />
    public partial class InstanceLeases : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lease_expires_at",
                table: "cloud_map_instances",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "lease_owner",
                table: "cloud_map_instances",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_cloud_map_instances_lease_expires_at",
                table: "cloud_map_instances",
                column: "lease_expires_at",
                filter: "lease_expires_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_cloud_map_instances_lease_expires_at",
                table: "cloud_map_instances");

            migrationBuilder.DropColumn(
                name: "lease_expires_at",
                table: "cloud_map_instances");

            migrationBuilder.DropColumn(
                name: "lease_owner",
                table: "cloud_map_instances");
        }
    }
}
