using Mesh.XdsServer.Hosting;

// Configuration: Xds:GrpcUrl (default http://127.0.0.1:18000, h2c), Xds:AdminUrl (http://127.0.0.1:18001:
// /healthz, /metrics), ConnectionStrings:Mesh (PostgreSQL), Mesh:Region, Mesh:AccountId, Xds:Feed:*.
var builder = WebApplication.CreateBuilder(args);
builder.AddXdsServer();

var app = builder.Build();
app.MapXdsServer();
app.Run();
