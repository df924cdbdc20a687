using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class ChangeConfiguration : IEntityTypeConfiguration<ChangeEntity>
{
    public void Configure(EntityTypeBuilder<ChangeEntity> builder)
    {
        builder.ToTable("changes");
        builder.HasKey(c => c.Seq);
        builder.Property(c => c.Seq).HasColumnName("seq").UseIdentityAlwaysColumn();
        builder.Property(c => c.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(c => c.MeshName).HasColumnName("mesh_name").HasMaxLength(255);
        builder.Property(c => c.Kind).HasColumnName("kind").HasMaxLength(32);
        // A Cloud Map change carries its namespace name here, and HTTP namespace names run to 1024 characters.
        builder.Property(c => c.ParentName).HasColumnName("parent_name").HasMaxLength(1024);
        builder.Property(c => c.Name).HasColumnName("name").HasMaxLength(255);
        builder.Property(c => c.Version).HasColumnName("version");
        builder.Property(c => c.Operation).HasColumnName("operation").HasMaxLength(16);
        builder.Property(c => c.At).HasColumnName("at");
    }
}
