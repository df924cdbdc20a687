using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class CloudMapInstanceConfiguration : IEntityTypeConfiguration<CloudMapInstanceEntity>
{
    public void Configure(EntityTypeBuilder<CloudMapInstanceEntity> builder)
    {
        builder.ToTable("cloud_map_instances");
        builder.HasKey(i => new { i.ServiceId, i.InstanceId });
        builder.Property(i => i.ServiceId).HasColumnName("service_id").HasMaxLength(64).UseCollation("C");
        builder.Property(i => i.InstanceId).HasColumnName("instance_id").HasMaxLength(64).UseCollation("C");
        builder.Property(i => i.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(i => i.Attributes).HasColumnName("attributes").HasColumnType("jsonb");
        builder.Property(i => i.CreatorRequestId).HasColumnName("creator_request_id").HasMaxLength(64);
        builder.Property(i => i.HealthStatus).HasColumnName("health_status").HasMaxLength(16);
        builder.Property(i => i.CreatedAt).HasColumnName("created_at");
        builder.Property(i => i.UpdatedAt).HasColumnName("updated_at");
        builder.Property(i => i.LeaseOwner).HasColumnName("lease_owner").HasMaxLength(200);
        builder.Property(i => i.LeaseExpiresAt).HasColumnName("lease_expires_at");

        // Every replica sweeps for lapsed leases; only automatic registrations have one.
        builder.HasIndex(i => i.LeaseExpiresAt).HasDatabaseName("ix_cloud_map_instances_lease_expires_at").HasFilter("lease_expires_at IS NOT NULL");

        builder.HasOne<CloudMapServiceEntity>().WithMany().HasForeignKey(i => i.ServiceId)
            .OnDelete(DeleteBehavior.Restrict).HasConstraintName("fk_cloud_map_instances_service");
    }
}
