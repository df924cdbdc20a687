using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class AccessKeyConfiguration : IEntityTypeConfiguration<AccessKeyEntity>
{
    public void Configure(EntityTypeBuilder<AccessKeyEntity> builder)
    {
        builder.ToTable("access_keys");
        builder.HasKey(k => k.AccessKeyId);
        builder.Property(k => k.AccessKeyId).HasColumnName("access_key_id").HasMaxLength(32);
        builder.Property(k => k.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(k => k.SecretCiphertext).HasColumnName("secret_ciphertext");
        builder.Property(k => k.Policy).HasColumnName("policy").HasColumnType("jsonb");
        builder.Property(k => k.Description).HasColumnName("description");
        builder.Property(k => k.CreatedAt).HasColumnName("created_at");
        builder.Property(k => k.RevokedAt).HasColumnName("revoked_at");
        builder.HasIndex(k => k.AccountId).HasDatabaseName("ix_access_keys_account");
    }
}
