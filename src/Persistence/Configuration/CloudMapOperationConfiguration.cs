using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class CloudMapOperationConfiguration : IEntityTypeConfiguration<CloudMapOperationEntity>
{
    public void Configure(EntityTypeBuilder<CloudMapOperationEntity> builder)
    {
        builder.ToTable("cloud_map_operations");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).HasColumnName("id").HasMaxLength(64).UseCollation("C");
        builder.Property(o => o.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(o => o.Type).HasColumnName("type").HasMaxLength(32);
        builder.Property(o => o.Status).HasColumnName("status").HasMaxLength(16);
        builder.Property(o => o.Targets).HasColumnName("targets").HasColumnType("jsonb");
        builder.Property(o => o.RequestId).HasColumnName("request_id").HasMaxLength(64);
        builder.Property(o => o.RequestHash).HasColumnName("request_hash").HasMaxLength(64);
        builder.Property(o => o.CreatedAt).HasColumnName("created_at");
        builder.Property(o => o.UpdatedAt).HasColumnName("updated_at");

        // The claim on a request id is this index: two racing calls with one id cannot both insert.
        builder.HasIndex(o => new { o.AccountId, o.RequestId }).IsUnique()
            .HasFilter("request_id IS NOT NULL").HasDatabaseName("ux_cloud_map_operations_request");
        builder.HasIndex(o => new { o.AccountId, o.Id }).HasDatabaseName("ix_cloud_map_operations_account");
        // The retention pruner's way to the operations older than Mesh:Retention:CloudMapOperations (migration
        // RetentionTimeIndexes): without it, every round read the whole table.
        builder.HasIndex(o => o.CreatedAt).HasDatabaseName("ix_cloud_map_operations_created_at");
    }
}
