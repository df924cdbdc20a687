namespace Mesh.Console.Tests;

/// <summary>
/// The web console in a real headless Chromium (Debian's chromium, driven by puppeteer-core) against the API host
/// and the xDS server as separate processes. Each scenario screenshots every page it visits (TestResults/
/// console-screenshots) and fails on any serious or critical axe-core finding on any of them.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleStack stack)
{
    [Fact]
    public async Task Sign_In_Then_Create_Edit_Validate_And_Delete_Resources_And_Read_The_Audit_Log()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "resources");
        Assert.Contains("resources: passed", output);
    }

    [Fact]
    public async Task Service_Map_Shows_A_Proxyless_Client_Which_Acks_A_97_3_To_50_50_Shift_And_Then_A_Nack()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "shift");
        Assert.Contains("shift: passed", output);
    }

    [Fact]
    public async Task A_Read_Only_Key_Gets_A_Read_Only_Console_Whose_Writes_The_Api_Refuses()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "readonly");
        Assert.Contains("readonly: passed", output);
    }

    [Fact]
    public async Task Editing_A_Nodes_Backends_In_The_Form_Keeps_Each_Backends_Tls_Client_Policy()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "backends");
        Assert.Contains("backends: passed", output);
    }

    [Fact]
    public async Task Editing_Targets_In_The_Form_Keeps_Their_Ports_And_The_Map_And_Shift_Page_Tell_Ports_Apart()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "ports");
        Assert.Contains("ports: passed", output);
    }

    [Fact]
    public async Task Errors_Go_To_The_Most_Specific_Field_With_Matching_Indices_And_Cleared_Fields_Leave_No_Empty_Objects()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "errors");
        Assert.Contains("errors: passed", output);
    }

    [Fact]
    public async Task A_Failure_To_Follow_The_Proxies_After_A_Shift_Is_Not_Shown_As_A_Failed_Shift_And_Describes_Stay_Bounded()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "unfollowed");
        Assert.Contains("unfollowed: passed", output);
    }

    [Fact]
    public async Task The_Shift_Page_Never_Claims_All_Acked_While_An_Xds_Server_Is_Unreachable_And_Retries_A_Failed_Read()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "unreachable");
        Assert.Contains("unreachable: passed", output);
    }

    [Fact]
    public async Task Signing_Out_With_A_Stale_Token_Still_Signs_The_Browser_Out()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "signout");
        Assert.Contains("signout: passed", output);
    }

    [Fact]
    public async Task A_Write_Refused_For_A_Stale_Token_Shows_Who_The_Browser_Is_Signed_In_As_Now()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "identity");
        Assert.Contains("identity: passed", output);
    }

    [Fact]
    public async Task A_Page_That_Loads_Late_Does_Not_Replace_The_Page_Moved_To()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "late");
        Assert.Contains("late: passed", output);
    }

    [Fact]
    public async Task The_Maps_Refresh_Link_Loads_The_Map_Again()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "refresh");
        Assert.Contains("refresh: passed", output);
    }

    [Fact]
    public async Task The_Maps_Panel_Shows_Each_Translation_Warnings_Kind_And_The_Messages_Alone_From_An_Older_Xds_Server()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "warnings");
        Assert.Contains("warnings: passed", output);
    }

    [Fact]
    public async Task A_Browser_Whose_Session_Cookie_Is_Gone_Is_Asked_To_Sign_In_And_Then_Shown_The_Page_It_Was_On()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "expired");
        Assert.Contains("expired: passed", output);
    }

    [Fact]
    public async Task A_Link_Opened_Signed_Out_Shows_Its_Page_After_The_Sign_In()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "deeplink");
        Assert.Contains("deeplink: passed", output);
    }

    [Fact]
    public async Task Older_Audit_Records_Are_Read_One_Page_At_A_Time_And_A_Failed_Read_Is_Shown()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "audit");
        Assert.Contains("audit: passed", output);
    }

    [Fact]
    public async Task The_Map_Of_A_Mesh_Without_Resources_Says_So_And_The_Browser_Logs_No_Error()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "emptymap");
        Assert.Contains("emptymap: passed", output);
    }

    [Fact]
    public async Task At_A_Phones_Width_With_255_Character_Names_No_Page_Is_Wider_Than_The_Window()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "narrow");
        Assert.Contains("narrow: passed", output);
    }

    [Fact]
    public async Task The_Map_Page_Lists_The_Proxies_Of_Nodes_And_Gateways_The_Mesh_Does_Not_Have()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "strays");
        Assert.Contains("strays: passed", output);
    }

    [Fact]
    public async Task Saving_An_Edit_Does_Not_Overwrite_A_Change_Made_Since_The_Editor_Read_The_Resource_Unless_Saved_Again()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "conflict");
        Assert.Contains("conflict: passed", output);
    }

    [Fact]
    public async Task The_Editor_Refuses_Json_That_Is_Not_An_Object_And_Its_Fields_Go_On_Working()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "jsonspec");
        Assert.Contains("jsonspec: passed", output);
    }

    [Fact]
    public async Task An_Address_That_Names_No_Page_Or_Lacks_What_Its_Page_Needs_Says_Not_Found()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "addresses");
        Assert.Contains("addresses: passed", output);
    }

    [Fact]
    public async Task A_Map_Box_Clips_A_Long_Name_But_Its_Accessible_Name_And_Tooltip_Carry_All_Of_It()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "mapnames");
        Assert.Contains("mapnames: passed", output);
    }

    [Fact]
    public async Task Following_A_Link_By_Keyboard_Puts_The_Focus_On_The_New_Pages_Heading()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "focus");
        Assert.Contains("focus: passed", output);
    }

    [Fact]
    public async Task Shifting_Between_Two_Targets_Weighted_1_And_1_Reads_The_Weights_As_Percentages()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "shiftpair");
        Assert.Contains("shiftpair: passed", output);
    }

    [Fact]
    public async Task A_Gateways_Box_On_The_Map_Shows_Its_Proxies_State_And_Warnings()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "gateway");
        Assert.Contains("gateway: passed", output);
    }

    [Fact]
    public async Task A_Describe_That_Fails_While_The_Map_Loads_Leaves_The_Rest_Of_The_Map_And_Names_What_Could_Not_Be_Read()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "partialmap");
        Assert.Contains("partialmap: passed", output);
    }

    [Fact]
    public async Task Two_Streams_Of_One_Node_Id_Are_Told_Apart_By_Their_Stream_Ids_And_Replicas()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "streams");
        Assert.Contains("streams: passed", output);
    }

    [Fact]
    public async Task An_Out_Of_Range_Weight_Is_Named_In_The_Shift_Pages_Status_Line()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "shiftrange");
        Assert.Contains("shiftrange: passed", output);
    }

    [Fact]
    public async Task Page_Titles_Name_The_Resource_And_The_Navigation_Marks_The_Current_Page()
    {
        var output = await BrowserScript.RunAsync(stack, "console.test.mjs", "titles");
        Assert.Contains("titles: passed", output);
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleStack>
{
    public const string Name = "console stack";
}
