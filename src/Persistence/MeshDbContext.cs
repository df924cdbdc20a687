using Microsoft.EntityFrameworkCore;

namespace Mesh.Persistence;

public sealed class MeshDbContext(DbContextOptions<MeshDbContext> options) : DbContext(options)
{
    public DbSet<ResourceEntity> Resources => Set<ResourceEntity>();

    public DbSet<ChangeEntity> Changes => Set<ChangeEntity>();

    public DbSet<IdempotencyRecordEntity> IdempotencyRecords => Set<IdempotencyRecordEntity>();

    public DbSet<SettingEntity> Settings => Set<SettingEntity>();

    public DbSet<AccessKeyEntity> AccessKeys => Set<AccessKeyEntity>();

    public DbSet<AuditRecordEntity> AuditLog => Set<AuditRecordEntity>();

    public DbSet<ResourceCountEntity> ResourceCounts => Set<ResourceCountEntity>();

    public DbSet<CloudMapNamespaceEntity> CloudMapNamespaces => Set<CloudMapNamespaceEntity>();

    public DbSet<CloudMapServiceEntity> CloudMapServices => Set<CloudMapServiceEntity>();

    public DbSet<CloudMapInstanceEntity> CloudMapInstances => Set<CloudMapInstanceEntity>();

    public DbSet<CloudMapOperationEntity> CloudMapOperations => Set<CloudMapOperationEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.ApplyConfigurationsFromAssembly(typeof(MeshDbContext).Assembly);
}
