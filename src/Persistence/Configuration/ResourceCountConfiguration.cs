using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class ResourceCountConfiguration : IEntityTypeConfiguration<ResourceCountEntity>
{
    public void Configure(EntityTypeBuilder<ResourceCountEntity> builder)
    {
        builder.ToTable("resource_counts");
        builder.HasKey(c => new { c.AccountId, c.MeshName, c.Kind, c.ParentName, c.Shard });
        builder.Property(c => c.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(c => c.MeshName).HasColumnName("mesh_name").HasMaxLength(255).UseCollation("C");
        builder.Property(c => c.Kind).HasColumnName("kind").HasMaxLength(32);
        builder.Property(c => c.ParentName).HasColumnName("parent_name").HasMaxLength(255).UseCollation("C");
        builder.Property(c => c.Shard).HasColumnName("shard");
        builder.Property(c => c.Count).HasColumnName("count");
    }
}
