using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class CloudMapServiceConfiguration : IEntityTypeConfiguration<CloudMapServiceEntity>
{
    public void Configure(EntityTypeBuilder<CloudMapServiceEntity> builder)
    {
        builder.ToTable("cloud_map_services");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasColumnName("id").HasMaxLength(64).UseCollation("C");
        builder.Property(s => s.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(s => s.NamespaceId).HasColumnName("namespace_id").HasMaxLength(64).UseCollation("C");
        builder.Property(s => s.Name).HasColumnName("name").HasMaxLength(127).UseCollation("C");
        builder.Property(s => s.Arn).HasColumnName("arn");
        builder.Property(s => s.Description).HasColumnName("description");
        builder.Property(s => s.Type).HasColumnName("type").HasMaxLength(16);
        builder.Property(s => s.DnsConfig).HasColumnName("dns_config").HasColumnType("jsonb");
        builder.Property(s => s.HealthCheckConfig).HasColumnName("health_check_config").HasColumnType("jsonb");
        builder.Property(s => s.HealthCheckCustomConfig).HasColumnName("health_check_custom_config").HasColumnType("jsonb");
        builder.Property(s => s.Attributes).HasColumnName("attributes").HasColumnType("jsonb");
        builder.Property(s => s.CreatorRequestId).HasColumnName("creator_request_id").HasMaxLength(64);
        builder.Property(s => s.Tags).HasColumnName("tags").HasColumnType("jsonb");
        builder.Property(s => s.Revision).HasColumnName("revision");
        builder.Property(s => s.CreatedAt).HasColumnName("created_at");

        builder.HasIndex(s => new { s.NamespaceId, s.Name }).IsUnique().HasDatabaseName("ux_cloud_map_services_name");
        builder.HasIndex(s => s.AccountId).HasDatabaseName("ix_cloud_map_services_account");

        // A namespace with services cannot be deleted: the foreign key holds even against a racing CreateService.
        builder.HasOne<CloudMapNamespaceEntity>().WithMany().HasForeignKey(s => s.NamespaceId)
            .OnDelete(DeleteBehavior.Restrict).HasConstraintName("fk_cloud_map_services_namespace");
    }
}
