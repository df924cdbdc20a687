using Mesh.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeshApi();

var app = builder.Build();
app.UseMeshApi();
app.Run();

/// <summary>The API host; public so that tests can start it in-process.</summary>
public partial class Program;
