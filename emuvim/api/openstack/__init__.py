"""OpenStack APIs for a PoP, vim-emu compatible:

    from emuvim.api.openstack.openstack_api_endpoint import OpenstackApiEndpoint
"""
