using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class CloudMapNamespaceConfiguration : IEntityTypeConfiguration<CloudMapNamespaceEntity>
{
    public void Configure(EntityTypeBuilder<CloudMapNamespaceEntity> builder)
    {
        builder.ToTable("cloud_map_namespaces");
        builder.HasKey(n => n.Id);
        builder.Property(n => n.Id).HasColumnName("id").HasMaxLength(64).UseCollation("C");
        builder.Property(n => n.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(n => n.Name).HasColumnName("name").HasMaxLength(1024).UseCollation("C");
        builder.Property(n => n.Type).HasColumnName("type").HasMaxLength(16);
        builder.Property(n => n.Arn).HasColumnName("arn");
        builder.Property(n => n.Description).HasColumnName("description");
        builder.Property(n => n.Properties).HasColumnName("properties").HasColumnType("jsonb");
        builder.Property(n => n.CreatorRequestId).HasColumnName("creator_request_id").HasMaxLength(64);
        builder.Property(n => n.Tags).HasColumnName("tags").HasColumnType("jsonb");
        builder.Property(n => n.CreatedAt).HasColumnName("created_at");

        // One namespace of a name per account: NamespaceAlreadyExists comes from this index, not a read-then-write.
        builder.HasIndex(n => new { n.AccountId, n.Name }).IsUnique().HasDatabaseName("ux_cloud_map_namespaces_name");
    }
}
