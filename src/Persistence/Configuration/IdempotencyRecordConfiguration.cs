using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecordEntity>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecordEntity> builder)
    {
        builder.ToTable("idempotency_records");
        builder.HasKey(r => new { r.AccountId, r.ClientToken });
        builder.Property(r => r.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(r => r.ClientToken).HasColumnName("client_token").HasMaxLength(64);
        builder.Property(r => r.Operation).HasColumnName("operation").HasMaxLength(64);
        builder.Property(r => r.RequestHash).HasColumnName("request_hash").HasMaxLength(64);
        // Text, not jsonb: a replay answers exactly the bytes of the first answer, and jsonb reorders members (migration
        // ReplayedAnswersVerbatim). Only records written before migration IdempotencyRecordFacts hold one.
        builder.Property(r => r.Response).HasColumnName("response").HasColumnType("text");
        // What a replay's answer needs of the first call instead of its text (migration IdempotencyRecordFacts).
        builder.Property(r => r.Uid).HasColumnName("uid");
        builder.Property(r => r.Version).HasColumnName("version");
        builder.Property(r => r.ResourceCreatedAt).HasColumnName("resource_created_at");
        builder.Property(r => r.CreatedAt).HasColumnName("created_at");
        // The retention pruner's way to the records older than a day (migration RetentionTimeIndexes): a B-tree, as a
        // record taken over after a day moves to a new time, which a BRIN index's block ranges would not follow.
        builder.HasIndex(r => r.CreatedAt).HasDatabaseName("ix_idempotency_records_created_at");
    }
}
