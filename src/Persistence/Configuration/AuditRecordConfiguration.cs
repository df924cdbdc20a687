using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class AuditRecordConfiguration : IEntityTypeConfiguration<AuditRecordEntity>
{
    public void Configure(EntityTypeBuilder<AuditRecordEntity> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(a => a.At).HasColumnName("at");
        builder.Property(a => a.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(a => a.AccessKeyId).HasColumnName("access_key_id").HasMaxLength(32);
        builder.Property(a => a.Action).HasColumnName("action").HasMaxLength(64);
        builder.Property(a => a.ResourceArn).HasColumnName("resource_arn");
        builder.Property(a => a.RequestId).HasColumnName("request_id").HasMaxLength(64);
        builder.Property(a => a.StatusCode).HasColumnName("status_code");
        builder.Property(a => a.ErrorCode).HasColumnName("error_code").HasMaxLength(64);
        builder.Property(a => a.Message).HasColumnName("message").HasDefaultValue("");
        builder.Property(a => a.SourceAddress).HasColumnName("source_address").HasMaxLength(64).HasDefaultValue("");

        // Listing by time range is the audit log's one query by time. The table is appended in time order, so a BRIN
        // index finds a range as a B-tree would, and a write's record adds nothing to it (migration AuditTimeBrin).
        builder.HasIndex(a => a.At).HasDatabaseName("ix_audit_log_at")
            .HasMethod("brin")
            .HasStorageParameter("pages_per_range", 32)
            .HasStorageParameter("autosummarize", true);
    }
}
